"""Programmes' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from kshare.people.models import Person
from kshare.programmes.models import Programme

HANDLES = {"programmes.Programme.organisers": "the person stops organising (the audit log says so)"}


def export(person: Person) -> dict[str, Any]:
    return {
        "programmes_organised": sorted(
            Programme.objects.filter(organisers=person).values_list("name", flat=True)
        )
    }


def erase(person: Person, placeholder: Person) -> None:
    for programme in Programme.objects.filter(organisers=person):
        programme.organisers.remove(person)  # through the model: the audit log records it
