"""Background work for the outbox: thin tasks that take ids and call a service.

Both are bound to the outbox's claim/retry queue (``services.OUTBOX``), through which the
services enqueue them: the services never import this module.
"""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from kshare.outbox.services import OUTBOX, outbox_deliver, outbox_tick


@OUTBOX.sends
@task
def outbox_send_task(message_id: int) -> bool:
    """Send one stored message if it is still queued and due; True when it was sent now."""
    return outbox_deliver(message_id=message_id)


@OUTBOX.ticks
@task
def outbox_tick_task() -> dict[str, int]:
    """The periodic outbox work (stale claims back, due retries sent); enqueued by the clock."""
    return asdict(outbox_tick())


# The name before every task ended in ``_task``: task rows queued under it still run (the
# database backend imports a row's task by its stored path).
outbox_send = outbox_send_task
