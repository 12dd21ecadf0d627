from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kshare.api.errors import ApiError
from kshare.api.schemas import ERRORS
from kshare.people.data_export import export_allowed
from kshare.people.views_data import export_response

router = Router(tags=["me"])


class TeamOut(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    team: TeamOut | None
    timezone: str
    role: str
    is_organiser: bool
    is_admin: bool
    token_scope: str


@router.get("", response={200: MeOut, **ERRORS}, summary="The token's owner")
def me(request: HttpRequest):
    person = request.user
    return MeOut(
        id=person.pk,
        email=person.email,
        display_name=person.display_name,
        team=TeamOut(id=person.team.pk, name=person.team.name) if person.team else None,
        timezone=person.timezone,
        role=person.role,
        is_organiser=person.is_organiser,
        is_admin=person.is_admin,
        token_scope=request.api_token.scope,
    )


ARCHIVE_RESPONSE = {
    "description": "A ZIP archive: data.json and the files the person uploaded (as on the "
    "web page “Your data”).",
    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
}


@router.get(
    "/export",
    response={200: None, **ERRORS},
    summary="Everything kshare holds about the token's owner (ZIP)",
    openapi_extra={"responses": {200: ARCHIVE_RESPONSE}},
)
def me_export(request: HttpRequest):
    """The same archive as the web page *Your data*, under the same hourly limit
    (``KSHARE_EXPORT_PER_HOUR``); over it, 429 with ``Retry-After``."""
    wait = export_allowed(request.user)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            _("Too many data exports; retry later."),
            headers={"Retry-After": str(wait)},
        )
    return export_response(request.user)
