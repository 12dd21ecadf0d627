"""Rhythm events' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from kshare.people.models import Person
from kshare.rhythm.models import RhythmEvent

HANDLES = {"rhythm.RhythmEvent.created_by": "kept, created by the former member"}


def export(person: Person) -> dict[str, Any]:
    return {
        "rhythm_events_created": list(
            RhythmEvent.objects.filter(created_by=person).order_by("pk").values("id", "name")
        )
    }


def erase(person: Person, placeholder: Person) -> None:
    RhythmEvent.objects.filter(created_by=person).update(created_by=placeholder)
