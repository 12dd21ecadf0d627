"""Background work for the outbox: thin tasks that take ids and call a service."""

from __future__ import annotations

from django.tasks import task


@task
def outbox_send(message_id: int) -> bool:
    """Send one stored message if it is still queued and due; True when it was sent now."""
    from kshare.outbox.services import outbox_deliver

    return outbox_deliver(message_id=message_id)


@task
def outbox_tick_task() -> dict[str, int]:
    """The periodic outbox work (stale claims back, due retries sent); enqueued by the clock."""
    from dataclasses import asdict

    from kshare.outbox.services import outbox_tick

    return asdict(outbox_tick())
