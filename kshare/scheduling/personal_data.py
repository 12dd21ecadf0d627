"""Scheduling's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``): the rhythm events a person created (kept, moved to
the former member) and the organiser digests they got (deleted)."""

from __future__ import annotations

from typing import Any

from kshare.people.models import Person
from kshare.scheduling.models import OrganiserDigest, RhythmEvent

HANDLES = {
    "scheduling.RhythmEvent.created_by": "kept, created by the former member",
    "scheduling.OrganiserDigest.person": "deleted",
}


def export(person: Person) -> dict[str, Any]:
    return {
        "rhythm_events_created": list(
            RhythmEvent.objects.filter(created_by=person).order_by("pk").values("id", "name")
        ),
        "organiser_digests": list(
            OrganiserDigest.objects.filter(person=person)
            .order_by("day")
            .values("day", "sessions", "sent_at")
        ),
    }


def erase(person: Person, placeholder: Person) -> None:
    RhythmEvent.objects.filter(created_by=person).update(created_by=placeholder)
    OrganiserDigest.objects.filter(person=person).delete()
