"""Reads of topic requests: the ranked demand, one request's page, suggestions for hosts.

Topic requests are company-wide: every active member sees every request. The sessions they
point to keep their own visibility, so a link to one is shown only to people who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.people.models import Person, Skill
from kshare.sessions.models import State
from kshare.sessions.selectors import sessions_visible_to
from kshare.topics.models import TopicRequest, TopicVolunteer, TopicVote

# Skills below "working" are not suggested as topics to host on their own.
SUGGESTED_SKILL_MIN_LEVEL = Skill.Level.WORKING


def _count(model: type[TopicVote] | type[TopicVolunteer], **filters: object) -> Coalesce:
    rows = (
        model.objects.filter(request=OuterRef("pk"), **filters)
        .order_by()
        .values("request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _annotated(person: Person) -> QuerySet[TopicRequest]:
    """Requests with their +1 and volunteer counts and what ``person`` did on each."""
    visible = sessions_visible_to(person=person).filter(pk=OuterRef("session_id"))
    return (
        TopicRequest.objects.select_related("requester")
        .prefetch_related("tags")
        .annotate(
            n_votes=_count(TopicVote),
            n_volunteers=_count(TopicVolunteer),
            voted=Exists(TopicVote.objects.filter(request=OuterRef("pk"), person=person.pk)),
            volunteered=Exists(
                TopicVolunteer.objects.filter(request=OuterRef("pk"), person=person.pk)
            ),
            session_visible=Exists(visible),
        )
    )


def topic_requests_ranked(*, person: Person, status: str) -> QuerySet[TopicRequest]:
    """Demand, most wanted first: by +1s, then the newest request; one query for the page."""
    return (
        _annotated(person).filter(status=status).order_by(F("n_votes").desc(), "-created_at", "-id")
    )


def topic_request_detail(*, person: Person, pk: int) -> TopicRequest | None:
    """A request with counts, flags and its volunteers loaded, or ``None``."""
    return (
        _annotated(person)
        .select_related("session")
        .prefetch_related(
            Prefetch(
                "volunteers",
                queryset=TopicVolunteer.objects.select_related("person").order_by(
                    "created_at", "id"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class Suggestion:
    """A topic ``person`` could host, with the reason in words and a pre-filled propose link."""

    title: str
    reason: str
    url: str


def topic_suggestions_for(*, person: Person, limit: int = 6) -> list[Suggestion]:
    """ "Choose a familiar topic": open requests matching ``person``'s skills, most +1s first,
    then their strongest skills (working or expert) that no visible held or scheduled session
    has been tagged with yet. A skill named by a request suggestion is not suggested twice.
    """
    skills = list(Skill.objects.filter(person=person).select_related("tag"))
    if not skills:
        return []
    by_tag = {s.tag_id: s for s in skills}
    requests = (
        TopicRequest.objects.filter(
            status=TopicRequest.Status.OPEN,
            session__isnull=True,
            tags__in=list(by_tag),
        )
        .exclude(requester=person)
        .distinct()
        .annotate(n_votes=_count(TopicVote))
        .prefetch_related("tags")
        .order_by("-n_votes", "-created_at", "-id")[:limit]
    )
    suggestions: list[Suggestion] = []
    named: set[int] = set()
    for request in requests:
        matching = [by_tag[t.pk] for t in request.tags.all() if t.pk in by_tag]
        best = min(matching, key=lambda s: (-s.level, s.tag.name))
        named.add(best.tag_id)
        suggestions.append(
            Suggestion(
                title=request.title,
                reason=ngettext(
                    "Requested by %(count)s person · matches your skill: %(skill)s",
                    "Requested by %(count)s people · matches your skill: %(skill)s",
                    request.n_votes,
                )
                % {"count": request.n_votes, "skill": best.tag.name},
                url=reverse("sessions:propose") + f"?request={request.pk}",
            )
        )
    if len(suggestions) >= limit:
        return suggestions
    presented = sessions_visible_to(person=person).filter(
        state__in=[State.HELD, State.SCHEDULED], tags=OuterRef("tag_id")
    )
    fresh = (
        Skill.objects.filter(person=person, level__gte=SUGGESTED_SKILL_MIN_LEVEL)
        .exclude(tag_id__in=named)
        .exclude(Exists(presented))
        .select_related("tag")
        .order_by("-level", "tag__name")[: limit - len(suggestions)]
    )
    for skill in fresh:
        suggestions.append(
            Suggestion(
                title=skill.tag.name,
                reason=_("Your skill (%(level)s): %(skill)s — nobody has presented on it yet")
                % {"level": skill.get_level_display().lower(), "skill": skill.tag.name},
                url=reverse("sessions:propose") + f"?skill={skill.tag.slug}",
            )
        )
    return suggestions
