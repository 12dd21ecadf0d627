"""Materials: metadata of the recordings, slides, notes and links of the sessions the caller
may see (``kshare.library.selectors``). Files are not uploaded through the API; ``media_url``
is the file's address in the web UI (it needs a signed-in browser session, not a token)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kshare.api.errors import not_found
from kshare.api.pagination import PageQuery, cursor_page
from kshare.api.routers.sessions import session_visible
from kshare.api.schemas import ERRORS, Page, QueryId
from kshare.api.util import PathId
from kshare.library import selectors
from kshare.library.models import Material

router = Router(tags=["materials"])

KindName = Literal["recording", "slides", "notes", "link"]
ORDER = ("created_at", "id")


class SessionBrief(Schema):
    id: int
    title: str
    url: str


class MaterialOut(Schema):
    id: int
    session: SessionBrief
    kind: KindName
    title: str
    filename: str = Field(description="the uploaded file's name; empty for links and notes")
    size: int = Field(description="bytes; 0 without a file")
    content_type: str = Field(description="the type the file is served as; empty without a file")
    url: str = Field(description="the external address (links, external recordings)")
    media_url: str | None = Field(
        description="the stored file in the web UI (needs a browser session); null without a file"
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class MaterialFilters(Schema):
    session: QueryId | None = Field(None, description="only this session's materials")
    kind: KindName | None = None


def material_out(material: Material) -> dict[str, Any]:
    session = material.session
    has_file = bool(material.file)
    return {
        "id": material.pk,
        "session": {"id": session.pk, "title": session.title, "url": session.get_absolute_url()},
        "kind": material.kind,
        "title": material.title,
        "filename": material.filename,
        "size": material.size if has_file else 0,
        "content_type": selectors.material_served_type(material) if has_file else "",
        "url": material.url,
        "media_url": reverse("library:media", args=[material.pk]) if has_file else None,
        "created_at": material.created_at,
        "updated_at": material.updated_at,
    }


def _materials(request: HttpRequest) -> QuerySet[Material]:
    return (
        selectors.materials_visible_to(person=request.user).select_related("session").defer("notes")
    )


@router.get("", response={200: Page[MaterialOut], **ERRORS}, summary="List materials")
def material_list(
    request: HttpRequest, filters: Query[MaterialFilters], page: Query[PageQuery]
) -> dict[str, Any]:
    """Materials of the sessions the caller may see, oldest first; ``?session=`` for one session
    (a session the caller may not see is a 404)."""
    rows = _materials(request)
    if filters.session:
        session = session_visible(request, filters.session)
        rows = rows.filter(session=session)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    result = cursor_page(rows, cursor=page.cursor, limit=page.limit, order=ORDER)
    return {
        "items": [material_out(m) for m in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@router.get("/{material_id}", response={200: MaterialOut, **ERRORS}, summary="One material")
def material_detail(request: HttpRequest, material_id: PathId) -> dict[str, Any]:
    material = _materials(request).filter(pk=material_id).first()
    if material is None:
        raise not_found(_("No such material."))
    return material_out(material)
