"""Attendance: hosts, the programme's organisers and admins record and list who came;
everyone else sees only their own row."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kshare.api.auth import require_write
from kshare.api.errors import ApiError, not_found
from kshare.api.pagination import PageQuery, cursor_page
from kshare.api.routers.sessions import session_editable, session_visible
from kshare.api.schemas import ERRORS, Id, Page, PersonRef
from kshare.api.util import PathId, service_call
from kshare.people.models import Person
from kshare.sessions import attendance, selectors
from kshare.sessions.models import Attendance

router = Router(tags=["attendance"])


class AttendanceOut(Schema):
    person: PersonRef
    method: Literal["host_list", "check_in"]
    recorded_at: dt.datetime


class AttendanceIn(Schema):
    people: list[Id] = Field(min_length=1, max_length=500, description="person ids")


class AttendanceRecorded(Schema):
    recorded: int = Field(description="rows added (people already on the list are skipped)")


def attendance_out(row: Attendance) -> dict[str, Any]:
    return {
        "person": {"id": row.person_id, "display_name": row.person.display_name},
        "method": row.method,
        "recorded_at": row.recorded_at,
    }


@router.get(
    "/{session_id}/attendance",
    response={200: Page[AttendanceOut], **ERRORS},
    summary="Who attended",
)
def attendance_list(
    request: HttpRequest, session_id: PathId, page: Query[PageQuery]
) -> dict[str, Any]:
    """All attendees for hosts, the programme's organisers and admins; otherwise only the
    caller's own row (an empty list when they did not attend)."""
    session = session_visible(request, session_id)
    rows = Attendance.objects.filter(session=session).select_related("person")
    if not selectors.session_can_edit(person=request.user, session=session):
        rows = rows.filter(person=request.user)
    result = cursor_page(rows, cursor=page.cursor, limit=page.limit, order=("recorded_at", "id"))
    return {
        "items": [attendance_out(r) for r in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@router.post(
    "/{session_id}/attendance",
    response={201: AttendanceRecorded, **ERRORS},
    summary="Record attendance",
)
def attendance_record(request: HttpRequest, session_id: PathId, payload: AttendanceIn):
    """Hosts, the programme's organisers and admins record who came, once the session started."""
    require_write(request)
    session = session_editable(request, session_id)
    ids = list(dict.fromkeys(payload.people))
    people = {p.pk: p for p in Person.objects.filter(pk__in=ids, is_active=True)}
    unknown = [str(i) for i in ids if i not in people]
    if unknown:
        raise ApiError(
            400,
            "invalid",
            _("Unknown people."),
            {"people": [_("No such person: %(ids)s.") % {"ids": ", ".join(unknown[:10])}]},
        )
    created = service_call(
        attendance.attendance_record,
        session=session,
        people=[people[i] for i in ids],
        by=request.user,
    )
    return Status(201, {"recorded": len(created)})


@router.delete(
    "/{session_id}/attendance/{person_id}",
    response={204: None, **ERRORS},
    summary="Remove from the attendance list",
)
def attendance_delete(request: HttpRequest, session_id: PathId, person_id: PathId):
    require_write(request)
    session = session_editable(request, session_id)
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not attendance.attendance_take_off(
        session=session, person=person, by=request.user
    ):
        raise not_found(_("No such attendance."))
    return Status(204, None)
