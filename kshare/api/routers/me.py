from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from kshare.api.schemas import ERRORS

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
