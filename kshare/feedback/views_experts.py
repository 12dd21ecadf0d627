"""The expertise directory: "who knows Kubernetes?" (``/people/experts/``; the ranking reads
feedback, so the page lives here rather than in people: kshare/feedback/experts.py)."""

from __future__ import annotations

from urllib.parse import quote

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html_join

from kshare.feedback.experts import experts_for
from kshare.people.selectors import skill_tag_find, skills_most_common
from kshare.tags.models import Tag
from kshare.tags.services import MAX_TAG_LENGTH

PAGE_SIZE = 24


def experts(request: HttpRequest) -> HttpResponse:
    # NUL never matches anything and PostgreSQL refuses it in a query: drop it.
    text = " ".join(request.GET.get("skill", "").replace("\x00", "").split())[:MAX_TAG_LENGTH]
    tag = skill_tag_find(text)
    context: dict = {"skill": text, "tag": tag, "nav": "people", "common": skills_most_common()}
    if tag is not None:
        ranking = experts_for(viewer=request.user, tag=tag)
        page = Paginator(ranking, PAGE_SIZE).get_page(request.GET.get("page"))
        sessions = ranking.sessions_by_host(page.object_list)
        context.update(
            page_obj=page,
            rows=[(s, sessions.get(s.person_id, [])) for s in page.object_list],
        )
    elif text:
        similar = list(
            Tag.objects.filter(name__icontains=text, skills__isnull=False)
            .distinct()
            .order_by("name")[:10]
        )
        # One sentence for the translators: "Did you mean %(links)s?"
        context["similar"] = similar
        context["similar_links"] = format_html_join(
            ", ", '<a href="?skill={}">{}</a>', ((quote(t.slug), t.name) for t in similar)
        )
    return render(request, "feedback/experts.html", context)
