"""The expertise directory: "who knows Kubernetes?"."""

from __future__ import annotations

from collections import defaultdict

from django.core.paginator import Paginator
from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kshare.feedback.models import Answer, Question
from kshare.people.models import Person, Skill
from kshare.sessions.models import SessionHost, State
from kshare.sessions.selectors import sessions_visible_to
from kshare.tags.models import Tag
from kshare.tags.services import MAX_TAG_LENGTH, tag_slug

PAGE_SIZE = 24
COMMON_SKILLS = 24
SESSIONS_SHOWN = 3


def _skill_tag(text: str) -> Tag | None:
    """The tag called ``text`` (any case), or whose slug ``text`` is."""
    if not text:
        return None
    return (
        Tag.objects.filter(Q(slug=tag_slug(text)) | Q(slug=text) | Q(name__iexact=text))
        .order_by("name", "pk")
        .first()
    )


def experts_for(*, viewer: Person, tag: Tag):
    """Active people with the skill, best first: declared level, then held sessions they hosted
    on it (only sessions ``viewer`` may see count), then the mean overall feedback rating of
    those sessions (people without rated sessions last), then name."""
    held_on_tag = sessions_visible_to(person=viewer).filter(state=State.HELD, tags=tag)
    held = (
        SessionHost.objects.filter(person_id=OuterRef("person_id"), session__in=held_on_tag)
        .order_by()
        .values("person_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Overall ratings (question purpose "overall", any form version) of the sessions counted above.
    rating = (
        Answer.objects.filter(
            question__purpose=Question.Purpose.OVERALL,
            number__isnull=False,
            response__session__in=held_on_tag,
            response__session__host_links__person_id=OuterRef("person_id"),
        )
        .order_by()
        .values("question__purpose")
        .annotate(mean=Avg("number"), n=Count("pk"))
    )
    return (
        Skill.objects.filter(tag=tag, person__is_active=True)
        .select_related("person__team")
        .annotate(
            n_held=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)),
            rating_mean=Subquery(rating.values("mean"), output_field=FloatField()),
            rating_count=Coalesce(
                Subquery(rating.values("n"), output_field=IntegerField()), Value(0)
            ),
        )
        .order_by(
            "-level",
            "-n_held",
            F("rating_mean").desc(nulls_last=True),
            "person__display_name",
            "person_id",
        )
    )


def _sessions_by_host(*, viewer: Person, tag: Tag, person_ids: list[int]) -> dict[int, list]:
    """A few held sessions on ``tag`` per host, newest first, in one query."""
    links = (
        SessionHost.objects.filter(
            person_id__in=person_ids,
            session__in=sessions_visible_to(person=viewer).filter(state=State.HELD, tags=tag),
        )
        .select_related("session")
        .order_by("-session__start", "-session_id")
    )
    found: dict[int, list] = defaultdict(list)
    for link in links:
        if len(found[link.person_id]) < SESSIONS_SHOWN:
            found[link.person_id].append(link.session)
    return found


def _common_skills() -> list[Tag]:
    return list(
        Tag.objects.annotate(n_people=Count("skills", filter=Q(skills__person__is_active=True)))
        .filter(n_people__gt=0)
        .order_by("-n_people", "name")[:COMMON_SKILLS]
    )


def experts(request: HttpRequest) -> HttpResponse:
    # NUL never matches anything and PostgreSQL refuses it in a query: drop it.
    text = " ".join(request.GET.get("skill", "").replace("\x00", "").split())[:MAX_TAG_LENGTH]
    tag = _skill_tag(text)
    context: dict = {"skill": text, "tag": tag, "nav": "people", "common": _common_skills()}
    if tag is not None:
        page = Paginator(experts_for(viewer=request.user, tag=tag), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        sessions = _sessions_by_host(
            viewer=request.user, tag=tag, person_ids=[s.person_id for s in page.object_list]
        )
        context.update(
            page_obj=page,
            rows=[(s, sessions.get(s.person_id, [])) for s in page.object_list],
        )
    elif text:
        context["similar"] = list(
            Tag.objects.filter(name__icontains=text, skills__isnull=False)
            .distinct()
            .order_by("name")[:10]
        )
    return render(request, "people/experts.html", context)
