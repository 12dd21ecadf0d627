"""Background work for the outbox: thin tasks that take ids and call a service."""

from __future__ import annotations

from django.tasks import task


@task
def outbox_send(message_id: int) -> bool:
    from kshare.outbox.services import outbox_deliver

    return outbox_deliver(message_id=message_id)
