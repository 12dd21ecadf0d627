"""Topic requests: the ranked demand, one request, asking for a topic, +1s and volunteering.

Reads are ``kshare.topics.selectors`` (requests are company-wide; the session that answers one
is shown only to people who may see it), writes ``kshare.topics.services`` with the web form's
rules (``kshare.topics.inputs``). A closed or scheduled request takes no +1 or volunteer: 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kshare.api.auth import require_write
from kshare.api.errors import ApiError, not_found
from kshare.api.pagination import PageQuery, cursor_page
from kshare.api.schemas import ERRORS, Page, PersonRef, Text
from kshare.api.util import PathId, input_valid, service_call
from kshare.topics import selectors, services
from kshare.topics.inputs import (
    MAX_TAGS,
    TopicInput,
    topic_input_check,
    topic_request_create_input,
)
from kshare.topics.models import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TopicRequest,
)

router = Router(tags=["topics"])

StatusName = Literal["open", "scheduled", "closed"]
ORDER = ("-n_votes", "-created_at", "-id")


class TagOut(Schema):
    name: str
    slug: str


class SessionBrief(Schema):
    id: int
    title: str
    url: str


class VolunteerOut(Schema):
    person: PersonRef
    note: str
    created_at: dt.datetime


class TopicOut(Schema):
    id: int
    title: str
    description: str
    status: StatusName
    requester: PersonRef
    tags: list[TagOut]
    votes: int = Field(description="+1s, the requester's own included")
    volunteers: int
    voted: bool = Field(description="whether the caller gave a +1")
    volunteered: bool = Field(description="whether the caller offered to host")
    session: SessionBrief | None = Field(
        description="the session that answers it, when the caller may see it"
    )
    created_at: dt.datetime
    url: str


class TopicDetailOut(TopicOut):
    volunteer_list: list[VolunteerOut]


class TopicFilters(Schema):
    status: StatusName = "open"


class TopicIn(Schema):
    title: Text(TITLE_MAX_LENGTH, min_length=1)
    description: Text(DESCRIPTION_MAX_LENGTH, strip=False) = ""
    tags: list[Text(60, min_length=1)] = Field(default_factory=list, max_length=MAX_TAGS)


class VolunteerIn(Schema):
    note: Text(NOTE_MAX_LENGTH) = ""


def topic_out(topic: TopicRequest) -> dict[str, Any]:
    session = topic.session if topic.session_id and topic.session_visible else None
    return {
        "id": topic.pk,
        "title": topic.title,
        "description": topic.description,
        "status": topic.status,
        "requester": {"id": topic.requester_id, "display_name": topic.requester.display_name},
        "tags": [{"name": t.name, "slug": t.slug} for t in topic.tags.all()],
        "votes": topic.n_votes,
        "volunteers": topic.n_volunteers,
        "voted": topic.voted,
        "volunteered": topic.volunteered,
        "session": (
            {"id": session.pk, "title": session.title, "url": session.get_absolute_url()}
            if session
            else None
        ),
        "created_at": topic.created_at,
        "url": topic.get_absolute_url(),
    }


def topic_detail_out(topic: TopicRequest) -> dict[str, Any]:
    return {
        **topic_out(topic),
        "volunteer_list": [
            {
                "person": {"id": v.person_id, "display_name": v.person.display_name},
                "note": v.note,
                "created_at": v.created_at,
            }
            for v in topic.volunteers.all()
        ],
    }


def _topic(request: HttpRequest, pk: int) -> TopicRequest:
    topic = selectors.topic_request_detail(person=request.user, pk=pk)
    if topic is None:
        raise not_found(_("No such topic request."))
    return topic


@router.get("", response={200: Page[TopicOut], **ERRORS}, summary="List topic requests")
def topic_list(
    request: HttpRequest, filters: Query[TopicFilters], page: Query[PageQuery]
) -> dict[str, Any]:
    """Requests of one status (open by default), most +1s first, then the newest."""
    rows = selectors.topic_requests_ranked(
        person=request.user, status=filters.status
    ).select_related("session")
    result = cursor_page(rows, cursor=page.cursor, limit=page.limit, order=ORDER)
    return {"items": [topic_out(t) for t in result["items"]], "next_cursor": result["next_cursor"]}


@router.get("/{topic_id}", response={200: TopicDetailOut, **ERRORS}, summary="One topic request")
def topic_detail(request: HttpRequest, topic_id: PathId) -> dict[str, Any]:
    return topic_detail_out(_topic(request, topic_id))


@router.post("", response={201: TopicDetailOut, **ERRORS}, summary="Ask for a topic")
def topic_create(request: HttpRequest, payload: TopicIn):
    """A new open request; the caller's own +1 comes with it."""
    require_write(request)
    if any("," in t for t in payload.tags):
        raise ApiError(
            400, "invalid", _("Invalid tags."), {"tags": [_("A tag must not contain a comma.")]}
        )
    data = input_valid(
        topic_input_check,
        TopicInput(title=payload.title, description=payload.description, tags=payload.tags),
    )
    topic = topic_request_create_input(requester=request.user, data=data)
    return Status(201, topic_detail_out(_topic(request, topic.pk)))


@router.put("/{topic_id}/vote", response={200: TopicDetailOut, **ERRORS}, summary="+1 a topic")
def topic_vote(request: HttpRequest, topic_id: PathId) -> dict[str, Any]:
    """Idempotent; only open requests take +1s (else 409)."""
    require_write(request)
    topic = _topic(request, topic_id)
    service_call(services.topic_vote_set, request=topic, person=request.user, on=True)
    return topic_detail_out(_topic(request, topic_id))


@router.delete(
    "/{topic_id}/vote", response={200: TopicDetailOut, **ERRORS}, summary="Withdraw my +1"
)
def topic_unvote(request: HttpRequest, topic_id: PathId) -> dict[str, Any]:
    require_write(request)
    topic = _topic(request, topic_id)
    service_call(services.topic_vote_set, request=topic, person=request.user, on=False)
    return topic_detail_out(_topic(request, topic_id))


@router.put(
    "/{topic_id}/volunteer",
    response={200: TopicDetailOut, **ERRORS},
    summary="Offer to host a topic",
)
def topic_volunteer(request: HttpRequest, topic_id: PathId, payload: VolunteerIn) -> dict[str, Any]:
    """Offer to host (a second offer updates the note); only open requests (else 409)."""
    require_write(request)
    topic = _topic(request, topic_id)
    service_call(
        services.topic_volunteer_set, request=topic, person=request.user, on=True, note=payload.note
    )
    return topic_detail_out(_topic(request, topic_id))


@router.delete(
    "/{topic_id}/volunteer",
    response={200: TopicDetailOut, **ERRORS},
    summary="Withdraw my offer to host",
)
def topic_unvolunteer(request: HttpRequest, topic_id: PathId) -> dict[str, Any]:
    require_write(request)
    topic = _topic(request, topic_id)
    service_call(services.topic_volunteer_set, request=topic, person=request.user, on=False)
    return topic_detail_out(_topic(request, topic_id))
