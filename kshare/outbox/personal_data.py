"""The outbox's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``). Mails are found by address (no key points at a
person). Their bodies are not exported: they carry signed links (RSVP, sign-up) that still work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from kshare.outbox.models import MailOptOut, OutboxMessage

if TYPE_CHECKING:  # annotations only: the people app is not needed at run time
    from kshare.people.models import Person

HANDLES = {
    "outbox.OutboxMessage (no key: the to/cc addresses)": "deleted, sent or not",
    "outbox.MailOptOut.person": "deleted (the notification settings)",
}


def _addressed_to(person: Person) -> list[int]:
    address = person.email.lower()
    # A first cut in SQL (JSON lists as text), then the exact check on each list.
    candidates: QuerySet[OutboxMessage] = OutboxMessage.objects.annotate(
        to_text=Cast("to", TextField()), cc_text=Cast("cc", TextField())
    ).filter(to_text__icontains=address) | OutboxMessage.objects.annotate(
        to_text=Cast("to", TextField()), cc_text=Cast("cc", TextField())
    ).filter(cc_text__icontains=address)
    return [
        message.pk
        for message in candidates.only("pk", "to", "cc")
        if any(_address(entry) == address for entry in [*message.to, *message.cc])
    ]


def _address(entry: str) -> str:
    """``Name <a@b>`` or ``a@b`` → ``a@b``, lower-case."""
    entry = entry.strip()
    if entry.endswith(">") and "<" in entry:
        entry = entry[entry.rindex("<") + 1 : -1]
    return entry.lower()


def export(person: Person) -> dict[str, Any]:
    return {
        "mails": list(
            OutboxMessage.objects.filter(pk__in=_addressed_to(person))
            .order_by("created_at", "pk")
            .values("kind", "subject", "status", "created_at", "sent_at")
        ),
        "notifications_turned_off": list(
            MailOptOut.objects.filter(person=person)
            .order_by("category")
            .values("category", "created_at")
        ),
    }


def erase(person: Person, placeholder: Person) -> None:
    MailOptOut.objects.filter(person=person).delete()
    OutboxMessage.objects.filter(pk__in=_addressed_to(person)).delete()
