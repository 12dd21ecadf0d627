"""Programmes the caller may see (``programmes_visible_to``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from kshare.api.errors import not_found
from kshare.api.pagination import PageQuery, cursor_page
from kshare.api.schemas import ERRORS, Page, PersonRef, TeamRef
from kshare.api.util import PathId
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programmes_visible_to

router = Router(tags=["programmes"])


class ProgrammeOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    visibility: str
    cadence: str
    lead_time_days: int
    is_default: bool
    organisers: list[PersonRef]
    teams: list[TeamRef]
    created_at: dt.datetime
    url: str


def programme_out(programme: Programme) -> dict[str, Any]:
    return {
        "id": programme.pk,
        "name": programme.name,
        "slug": programme.slug,
        "description": programme.description,
        "visibility": programme.visibility,
        "cadence": programme.cadence,
        "lead_time_days": programme.lead_time_days,
        "is_default": programme.is_default,
        "organisers": [
            {"id": p.pk, "display_name": p.display_name} for p in programme.organisers.all()
        ],
        "teams": [{"id": t.pk, "name": t.name} for t in programme.teams.all()],
        "created_at": programme.created_at,
        "url": reverse("programmes:detail", args=[programme.slug]),
    }


def _programmes(request: HttpRequest):
    return programmes_visible_to(person=request.user).prefetch_related("organisers", "teams")


@router.get("", response={200: Page[ProgrammeOut], **ERRORS}, summary="List programmes")
def programme_list(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Programmes open to the company, to the caller's team, or organised by the caller; by name."""
    result = cursor_page(
        _programmes(request), cursor=page.cursor, limit=page.limit, order=("name", "id")
    )
    return {
        "items": [programme_out(p) for p in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@router.get("/{programme_id}", response={200: ProgrammeOut, **ERRORS}, summary="One programme")
def programme_detail(request: HttpRequest, programme_id: PathId) -> dict[str, Any]:
    programme = _programmes(request).filter(pk=programme_id).first()
    if programme is None:
        raise not_found(_("No such programme."))
    return programme_out(programme)
