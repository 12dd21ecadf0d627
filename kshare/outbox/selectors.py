"""Reads of the outbox, for the admin page."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from kshare.outbox.models import OutboxMessage

Status = OutboxMessage.Status

# The admin page's filters: key → statuses shown. "queued" includes messages being sent now.
FILTERS: dict[str, tuple[str, ...]] = {
    "all": (),
    "queued": (Status.QUEUED, Status.SENDING),
    "sent": (Status.SENT,),
    "failed": (Status.FAILED,),
}


def outbox_messages(*, filter_key: str = "all") -> QuerySet[OutboxMessage]:
    """The messages one filter shows, newest first; ``KeyError`` for an unknown filter.

    The list columns only: the bodies and attachments stay in the database.
    """
    statuses = FILTERS[filter_key]
    messages = OutboxMessage.objects.defer("body", "html", "attachments", "headers")
    if statuses:
        messages = messages.filter(status__in=statuses)
    return messages.order_by("-created_at", "-id")


def outbox_counts() -> dict[str, int]:
    """How many messages each filter shows, in one query."""
    by_status = {
        row["status"]: row["n"]
        for row in OutboxMessage.objects.order_by().values("status").annotate(n=Count("id"))
    }
    return {
        key: sum(n for status, n in by_status.items() if not statuses or status in statuses)
        for key, statuses in FILTERS.items()
    }


def outbox_message(*, pk: int) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(pk=pk).first()
