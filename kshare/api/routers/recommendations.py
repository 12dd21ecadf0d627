"""Recommendations, served from ``kshare.recommend.selectors`` (the cache of the last training,
filtered again at read time by what the caller may see now; cold start without a model).

Short ranked lists, not paginated: ``?limit=`` (1-50) picks how many. Suggested invitees are for
a session the caller may change (hosts, its programme's organisers, admins: else 403; an
invisible session is 404); suggested hosts for any topic request (requests are company-wide).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kshare.api.errors import not_found
from kshare.api.routers.sessions import session_editable
from kshare.api.schemas import ERRORS, PersonRef, QueryId
from kshare.recommend import selectors
from kshare.recommend.models import Recommendation
from kshare.topics.models import TopicRequest

router = Router(tags=["recommendations"])

FormatName = Literal["lightning", "talk", "workshop", "discussion"]
StateName = Literal["proposed", "scheduled", "held", "cancelled"]
MAX = 50


class HostBrief(Schema):
    id: int
    display_name: str


class SessionCard(Schema):
    id: int
    title: str
    format: FormatName
    state: StateName
    start: dt.datetime | None
    end: dt.datetime | None
    hosts: list[HostBrief]
    url: str


class RecommendedOut(Schema):
    session: SessionCard
    reason: str


class RecommendedList(Schema):
    items: list[RecommendedOut]


class PersonSuggestionOut(Schema):
    person: PersonRef
    team: str | None
    score: float
    reasons: list[str]


class PersonSuggestionList(Schema):
    items: list[PersonSuggestionOut]


class TopicSuggestionOut(Schema):
    title: str
    reason: str
    url: str


class TopicSuggestionList(Schema):
    items: list[TopicSuggestionOut]


class LimitQuery(Schema):
    limit: int = Field(selectors.FEED_SIZE, ge=1, le=MAX)


class InviteeQuery(Schema):
    session: QueryId = Field(description="a session the caller may change")
    limit: int = Field(selectors.INVITEES, ge=1, le=MAX)


class HostQuery(Schema):
    topic: QueryId = Field(description="topic request id")
    limit: int = Field(selectors.HOSTS, ge=1, le=MAX)


def _card(session: Any) -> dict[str, Any]:
    return {
        "id": session.pk,
        "title": session.title,
        "format": session.format,
        "state": session.state,
        "start": session.start,
        "end": session.end,
        "hosts": [
            {"id": link.person.pk, "display_name": link.person.display_name}
            for link in session.host_links.all()
        ],
        "url": session.get_absolute_url(),
    }


def _recommended(request: HttpRequest, kind: str, limit: int) -> dict[str, Any]:
    items = selectors.recommended_for(person=request.user, kind=kind, limit=limit)
    return {"items": [{"session": _card(r.session), "reason": r.reason} for r in items]}


def _people(suggestions: list[Any]) -> dict[str, Any]:
    return {
        "items": [
            {
                "person": {"id": s.person.pk, "display_name": s.person.display_name},
                "team": s.person.team.name if s.person.team_id else None,
                "score": round(float(s.score), 4),
                "reasons": list(s.reasons),
            }
            for s in suggestions
        ]
    }


@router.get(
    "/sessions", response={200: RecommendedList, **ERRORS}, summary="Upcoming sessions for me"
)
def recommended_sessions(request: HttpRequest, params: Query[LimitQuery]) -> dict[str, Any]:
    """Upcoming sessions the caller may see and has not answered, best first, with the reason."""
    return _recommended(request, Recommendation.Kind.SESSION, params.limit)


@router.get("/recordings", response={200: RecommendedList, **ERRORS}, summary="Recordings for me")
def recommended_recordings(request: HttpRequest, params: Query[LimitQuery]) -> dict[str, Any]:
    """Held sessions with material the caller missed and has not watched, best first."""
    return _recommended(request, Recommendation.Kind.RECORDING, params.limit)


@router.get(
    "/invitees",
    response={200: PersonSuggestionList, **ERRORS},
    summary="Suggested invitees for a session",
)
def suggested_invitees(request: HttpRequest, params: Query[InviteeQuery]) -> dict[str, Any]:
    """People who may see the session and are neither invited nor hosting, best first."""
    session = session_editable(request, params.session)
    return _people(selectors.invitees_for(session=session, limit=params.limit))


@router.get(
    "/hosts",
    response={200: PersonSuggestionList, **ERRORS},
    summary="Suggested hosts for a topic request",
)
def suggested_hosts(request: HttpRequest, params: Query[HostQuery]) -> dict[str, Any]:
    """People who could host the topic (skills, sessions hosted, their feedback), best first;
    the requester and volunteers are left out."""
    topic = TopicRequest.objects.filter(pk=params.topic).first()
    if topic is None:
        raise not_found(_("No such topic request."))
    return _people(selectors.hosts_for_topic(viewer=request.user, topic=topic, limit=params.limit))


@router.get("/topics", response={200: TopicSuggestionList, **ERRORS}, summary="Topics I could host")
def topics_to_host(request: HttpRequest, params: Query[LimitQuery]) -> dict[str, Any]:
    """Open topic requests that match the caller's skills and sessions, then skills nobody has
    presented on yet."""
    items = selectors.topics_for_host(person=request.user, limit=params.limit)
    return {"items": [{"title": t.title, "reason": t.reason, "url": t.url} for t in items]}
