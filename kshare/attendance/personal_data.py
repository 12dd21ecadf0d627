"""The attendance log's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``).

``AttendanceChange`` is a sessions model now (``talks.AttendanceChange``), but its part of the
export stays here, under the "attendance" key of ``data.json``: the archive people download keeps
its layout across the move."""

from __future__ import annotations

from typing import Any

from kshare.people.models import Person
from kshare.sessions.models import AttendanceChange

HANDLES = {
    "talks.AttendanceChange.person": "deleted (the person's own attendance history)",
    "talks.AttendanceChange.by": "moved to the former member",
}


def export(person: Person) -> dict[str, Any]:
    return {
        "attendance_history": list(
            AttendanceChange.objects.filter(person=person)
            .order_by("at", "pk")
            .values("session_id", "action", "method", "at")
        ),
    }


def erase(person: Person, placeholder: Person) -> None:
    AttendanceChange.objects.filter(person=person).delete()
    AttendanceChange.objects.filter(by=person).update(by=placeholder)
