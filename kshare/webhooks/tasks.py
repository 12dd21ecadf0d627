"""Background work for webhooks: thin tasks that take ids and call a service.

Both are bound to the deliveries' claim/retry queue (``services.DELIVERIES``), through which the
services enqueue them: the services never import this module.
"""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from kshare.webhooks.services import DELIVERIES, webhook_deliver, webhooks_tick


@DELIVERIES.sends
@task
def webhook_deliver_task(delivery_id: int) -> bool:
    """Send one stored delivery if it is still queued and due; True when delivered now."""
    return webhook_deliver(delivery_id=delivery_id)


@DELIVERIES.ticks
@task
def webhooks_tick_task() -> dict[str, int]:
    """The periodic webhook work (stale claims back, due retries sent); enqueued by the clock."""
    return asdict(webhooks_tick())
