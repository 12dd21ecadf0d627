"""What webhooks do when other parts of kshare announce something."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kshare.web.leases import workers_lost


@receiver(workers_lost, dispatch_uid="webhooks_workers_lost")
def take_back_lost_deliveries(*, worker_ids: tuple[str, ...], **kwargs: Any) -> None:
    """A dead worker's deliveries in flight are queued again at once (one attempt counted)."""
    from kshare.webhooks.services import webhooks_recover_lost

    webhooks_recover_lost(worker_ids=worker_ids)
