"""Ideas: the board (most voted or newest), one idea, new ideas on a session or a product
area, and the caller's vote. Visibility is ``kshare.ideas.selectors.ideas_visible_to`` (an idea
on a session is visible exactly when the session is); writes are ``kshare.ideas.services``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kshare.api.auth import require_write
from kshare.api.errors import ApiError, not_found
from kshare.api.pagination import PageQuery, cursor_page
from kshare.api.schemas import ERRORS, Id, Page, PersonRef, QueryId, QueryText, Text
from kshare.api.util import PathId, input_valid, service_call
from kshare.ideas import selectors, services
from kshare.ideas.inputs import IdeaInput, idea_input_check
from kshare.ideas.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Idea, ProductArea
from kshare.sessions.selectors import sessions_visible_to

router = Router(tags=["ideas"])

StatusName = Literal["new", "exploring", "planned", "done", "parked"]
ORDERS = {"top": ("-vote_total", "-created_at", "-id"), "new": ("-created_at", "-id")}


class SessionBrief(Schema):
    id: int
    title: str
    url: str


class AreaOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    ideas: int = Field(description="visible ideas in the area")


class AreaRef(Schema):
    id: int
    name: str
    slug: str


class IdeaOut(Schema):
    id: int
    title: str
    description: str
    status: StatusName
    author: PersonRef
    session: SessionBrief | None
    area: AreaRef | None
    promoted_session: SessionBrief | None = Field(
        description="the session the idea became, when the caller may see it"
    )
    votes: int
    comments: int
    voted: bool = Field(description="whether the caller voted for it")
    created_at: dt.datetime
    url: str


class IdeaFilters(Schema):
    order: Literal["top", "new"] = "top"
    session: QueryId | None = Field(None, description="ideas from this session")
    area: QueryText | None = Field(None, description="product area slug")


class IdeaIn(Schema):
    title: Text(TITLE_MAX_LENGTH, min_length=1)
    description: Text(DESCRIPTION_MAX_LENGTH, strip=False) = ""
    session: Id | None = Field(None, description="the session it came from")
    area: Text(100) | None = Field(None, description="product area slug")


def _brief(session: Any) -> dict[str, Any] | None:
    if session is None:
        return None
    return {"id": session.pk, "title": session.title, "url": session.get_absolute_url()}


def idea_out(idea: Idea) -> dict[str, Any]:
    area = idea.area
    return {
        "id": idea.pk,
        "title": idea.title,
        "description": idea.description,
        "status": idea.status,
        "author": {"id": idea.author_id, "display_name": idea.author.display_name},
        "session": _brief(idea.session),
        "area": {"id": area.pk, "name": area.name, "slug": area.slug} if area else None,
        "promoted_session": _brief(idea.promoted_session) if idea.promoted_visible else None,
        "votes": idea.vote_total,
        "comments": idea.comment_total,
        "voted": idea.voted,
        "created_at": idea.created_at,
        "url": idea.get_absolute_url(),
    }


def _idea(request: HttpRequest, pk: int) -> Idea:
    idea = selectors.idea_row(person=request.user, pk=pk)
    if idea is None:
        raise not_found(_("No such idea."))
    return idea


@router.get("", response={200: Page[IdeaOut], **ERRORS}, summary="List ideas")
def idea_list(
    request: HttpRequest, filters: Query[IdeaFilters], page: Query[PageQuery]
) -> dict[str, Any]:
    """Visible ideas, most voted first (``order=top``) or newest first (``order=new``).
    A session the caller may not see, or an unknown area, is a 404."""
    area = session = None
    if filters.area:
        area = ProductArea.objects.filter(slug=filters.area).first()
        if area is None:
            raise not_found(_("No such product area."))
    if filters.session:
        session = sessions_visible_to(person=request.user).filter(pk=filters.session).first()
        if session is None:
            raise not_found(_("No such session."))
    ideas = selectors.ideas_board(
        person=request.user, order=filters.order, area=area, session=session
    )
    result = cursor_page(ideas, cursor=page.cursor, limit=page.limit, order=ORDERS[filters.order])
    return {"items": [idea_out(i) for i in result["items"]], "next_cursor": result["next_cursor"]}


@router.get("/areas", response={200: Page[AreaOut], **ERRORS}, summary="List product areas")
def area_list(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    areas = selectors.areas_with_counts(person=request.user)
    result = cursor_page(areas, cursor=page.cursor, limit=page.limit, order=("name", "id"))
    return {
        "items": [
            {
                "id": a.pk,
                "name": a.name,
                "slug": a.slug,
                "description": a.description,
                "ideas": a.idea_total,
            }
            for a in result["items"]
        ],
        "next_cursor": result["next_cursor"],
    }


@router.get("/{idea_id}", response={200: IdeaOut, **ERRORS}, summary="One idea")
def idea_detail(request: HttpRequest, idea_id: PathId) -> dict[str, Any]:
    return idea_out(_idea(request, idea_id))


@router.post("", response={201: IdeaOut, **ERRORS}, summary="Capture an idea")
def idea_create(request: HttpRequest, payload: IdeaIn):
    """An idea from a session the caller may see and/or for a product area (one is required)."""
    require_write(request)
    text = input_valid(
        idea_input_check, IdeaInput(title=payload.title, description=payload.description)
    )
    session = area = None
    if payload.session is not None:
        session = sessions_visible_to(person=request.user).filter(pk=payload.session).first()
        if session is None:
            raise ApiError(
                400, "invalid", _("No such session."), {"session": [_("No such session.")]}
            )
    if payload.area:
        area = ProductArea.objects.filter(slug=payload.area).first()
        if area is None:
            raise ApiError(
                400, "invalid", _("No such product area."), {"area": [_("No such product area.")]}
            )
    if session is None and area is None:
        raise ApiError(
            400,
            "invalid",
            _("An idea belongs to a session or to a product area: choose one."),
            {
                "session": [_("Give a session or an area.")],
                "area": [_("Give a session or an area.")],
            },
        )
    idea = service_call(
        services.idea_create,
        author=request.user,
        title=text.title,
        description=text.description,
        session=session,
        area=area,
    )
    return Status(201, idea_out(_idea(request, idea.pk)))


@router.put("/{idea_id}/vote", response={200: IdeaOut, **ERRORS}, summary="Vote for an idea")
def idea_vote(request: HttpRequest, idea_id: PathId) -> dict[str, Any]:
    """Idempotent: voting twice keeps one vote."""
    require_write(request)
    idea = _idea(request, idea_id)
    services.idea_vote_set(idea=idea, person=request.user, on=True)
    return idea_out(_idea(request, idea_id))


@router.delete("/{idea_id}/vote", response={200: IdeaOut, **ERRORS}, summary="Withdraw my vote")
def idea_unvote(request: HttpRequest, idea_id: PathId) -> dict[str, Any]:
    require_write(request)
    idea = _idea(request, idea_id)
    services.idea_vote_set(idea=idea, person=request.user, on=False)
    return idea_out(_idea(request, idea_id))
