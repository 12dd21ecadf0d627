"""RSVP: the caller's answer to a session (``rsvp_set``: waitlist when full)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from kshare.api.auth import require_write
from kshare.api.routers.sessions import session_visible
from kshare.api.schemas import ERRORS
from kshare.api.util import PathId, service_call
from kshare.sessions import selectors
from kshare.sessions.invitations import rsvp_set
from kshare.sessions.models import Invitation
from kshare.sessions.selectors import waitlist_position

router = Router(tags=["rsvp"])


class RsvpIn(Schema):
    response: Literal["yes", "maybe", "no"]


class RsvpOut(Schema):
    session_id: int
    invited: bool = Field(description="false when the caller has neither been invited nor answered")
    response: Literal["pending", "yes", "maybe", "no"]
    responded_at: dt.datetime | None
    has_seat: bool = Field(description="a 'yes' that holds a seat (not on the waitlist)")
    waitlisted: bool
    waitlist_position: int | None = Field(description="1 = first in line; null when not waiting")
    message: str


def rsvp_out(session_id: int, invitation: Invitation | None) -> dict[str, Any]:
    if invitation is None:
        return {
            "session_id": session_id,
            "invited": False,
            "response": "pending",
            "responded_at": None,
            "has_seat": False,
            "waitlisted": False,
            "waitlist_position": None,
            "message": _("No answer yet."),
        }
    position = waitlist_position(invitation=invitation)
    yes = invitation.response == Invitation.Response.YES
    if position:
        message = _(
            "The session is full: you are on the waitlist, number %(position)s. "
            "You get a mail when a seat frees up."
        ) % {"position": position}
    elif invitation.response == Invitation.Response.PENDING:
        message = _("No answer yet.")
    else:
        message = _("Your answer is saved.")
    return {
        "session_id": session_id,
        "invited": True,
        "response": invitation.response,
        "responded_at": invitation.responded_at,
        "has_seat": yes and invitation.waitlisted_at is None,
        "waitlisted": position is not None,
        "waitlist_position": position,
        "message": message,
    }


@router.get("/{session_id}/rsvp", response={200: RsvpOut, **ERRORS}, summary="My answer")
def rsvp_get(request: HttpRequest, session_id: PathId) -> dict[str, Any]:
    session = session_visible(request, session_id)
    invitation = selectors.session_invitation_for(person=request.user, session=session)
    return rsvp_out(session.pk, invitation)


@router.post("/{session_id}/rsvp", response={200: RsvpOut, **ERRORS}, summary="Answer yes/maybe/no")
def rsvp_post(request: HttpRequest, session_id: PathId, payload: RsvpIn) -> dict[str, Any]:
    """Answer for the caller. A "yes" to a full session joins the waitlist (see
    ``waitlist_position``); only upcoming scheduled sessions take answers (else 409)."""
    require_write(request)
    session = session_visible(request, session_id)
    invitation = service_call(
        rsvp_set, session=session, person=request.user, response=payload.response
    )
    return rsvp_out(session.pk, invitation)
