"""The API's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``). Token secrets are never exported (only their hash is
stored anyway)."""

from __future__ import annotations

from typing import Any

from kshare.api.models import ApiToken
from kshare.people.models import Person

HANDLES = {"api.ApiToken.person": "deleted"}


def export(person: Person) -> dict[str, Any]:
    return {
        "api_tokens": list(
            ApiToken.objects.filter(person=person)
            .order_by("created_at", "pk")
            .values("name", "prefix", "scope", "created_at", "last_used_at", "revoked_at")
        )
    }


def erase(person: Person, placeholder: Person) -> None:
    for token in ApiToken.objects.filter(person=person):
        token.delete()  # one by one: the audit log records each deletion
