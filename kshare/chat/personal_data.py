"""Chat channels' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``). A channel serves its programme's organisers, so it
outlives whoever connected it: erasing clears the name. Webhook addresses are never exported."""

from __future__ import annotations

from typing import Any

from kshare.chat.models import ChatChannel
from kshare.people.models import Person

HANDLES = {"chat.ChatChannel.created_by": "kept for its programme; who connected it is cleared"}


def export(person: Person) -> dict[str, Any]:
    return {
        "chat_channels": list(
            ChatChannel.objects.filter(created_by=person)
            .order_by("created_at", "pk")
            .values("platform", "name", "programme__name", "timezone", "active", "created_at")
        )
    }


def erase(person: Person, placeholder: Person) -> None:
    ChatChannel.objects.filter(created_by=person).update(created_by=None)
