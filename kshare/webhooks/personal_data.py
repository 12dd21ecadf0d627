"""Webhooks' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``). A subscription sees what its creator sees, so it
cannot outlive them: it is deleted with its deliveries. Secrets are never exported."""

from __future__ import annotations

from typing import Any

from kshare.people.models import Person
from kshare.webhooks.models import Webhook

HANDLES = {"webhooks.Webhook.created_by": "deleted, with its deliveries"}


def export(person: Person) -> dict[str, Any]:
    return {
        "webhooks": list(
            Webhook.objects.filter(created_by=person)
            .order_by("created_at", "pk")
            .values("url", "description", "events", "programme__name", "active", "created_at")
        )
    }


def erase(person: Person, placeholder: Person) -> None:
    for webhook in Webhook.objects.filter(created_by=person):
        webhook.delete()  # one by one: the audit log records each deletion
