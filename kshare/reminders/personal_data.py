"""Reminders' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from kshare.people.models import Person
from kshare.reminders.models import OrganiserDigest

HANDLES = {"reminders.OrganiserDigest.person": "deleted"}


def export(person: Person) -> dict[str, Any]:
    return {
        "organiser_digests": list(
            OrganiserDigest.objects.filter(person=person)
            .order_by("day")
            .values("day", "sessions", "sent_at")
        )
    }


def erase(person: Person, placeholder: Person) -> None:
    OrganiserDigest.objects.filter(person=person).delete()
