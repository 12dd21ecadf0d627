"""The attendance log's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from kshare.attendance.models import AttendanceChange
from kshare.people.models import Person

HANDLES = {
    "attendance.AttendanceChange.person": "deleted (the person's own attendance history)",
    "attendance.AttendanceChange.by": "moved to the former member",
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
