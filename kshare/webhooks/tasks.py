"""Background work for webhooks: thin tasks that take ids and call a service."""

from __future__ import annotations

from django.tasks import task


@task
def webhook_deliver_task(delivery_id: int) -> bool:
    """Send one stored delivery if it is still queued and due; True when delivered now."""
    from kshare.webhooks.services import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id)


@task
def webhooks_tick_task() -> dict[str, int]:
    """The periodic webhook work (stale claims back, due retries sent); enqueued by the clock."""
    from dataclasses import asdict

    from kshare.webhooks.services import webhooks_tick

    return asdict(webhooks_tick())
