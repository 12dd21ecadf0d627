"""Co-host invitations of the caller (``kshare.sessions.cohosting``): naming a co-host in
``POST``/``PATCH sessions`` asks them; here they list what they were asked and answer. Until
they accept they are not among a session's ``hosts``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kshare.api.auth import require_write
from kshare.api.errors import not_found
from kshare.api.schemas import ERRORS
from kshare.api.util import PathId, service_call
from kshare.sessions import cohosting
from kshare.sessions.models import CohostInvitation

router = Router(tags=["co-hosting"])


class CohostInvitationOut(Schema):
    id: int
    session_id: int
    session_title: str
    invited_by: str | None
    status: Literal["pending", "accepted", "declined"]
    created_at: dt.datetime
    answered_at: dt.datetime | None


class CohostAnswerIn(Schema):
    answer: Literal["accept", "decline"]


def invitation_out(invitation: CohostInvitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "session_id": invitation.session_id,
        "session_title": invitation.session.title,
        "invited_by": invitation.invited_by.display_name if invitation.invited_by else None,
        "status": invitation.status,
        "created_at": invitation.created_at,
        "answered_at": invitation.answered_at,
    }


@router.get("", response={200: list[CohostInvitationOut], **ERRORS}, summary="Asked to co-host")
def cohosting_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's pending co-host invitations, newest first (at most 100)."""
    invitations = cohosting.cohost_invitations_for(person=request.user)[:100]
    return [invitation_out(i) for i in invitations]


@router.post(
    "/{invitation_id}",
    response={200: CohostInvitationOut, **ERRORS},
    summary="Accept or decline co-hosting",
)
def cohosting_answer(
    request: HttpRequest, invitation_id: PathId, payload: CohostAnswerIn
) -> dict[str, Any]:
    """Accept (the caller becomes a co-host) or decline; only the person asked (anyone else: 404);
    an answered invitation is a 409."""
    require_write(request)
    invitation = cohosting.cohost_invitation_get(person=request.user, pk=invitation_id)
    if invitation is None:
        raise not_found(_("No such co-host invitation."))
    service_call(
        cohosting.cohost_answer,
        invitation=invitation,
        person=request.user,
        accept=payload.answer == "accept",
    )
    return invitation_out(invitation)
