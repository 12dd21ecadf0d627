"""What the outbox does when other parts of kshare announce something."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kshare.core.leases import workers_lost


@receiver(workers_lost, dispatch_uid="outbox_workers_lost")
def take_back_lost_mail(*, worker_ids: tuple[str, ...], **kwargs: Any) -> None:
    """A dead worker's mails in flight are queued again at once (one attempt counted); the
    resend carries the same Message-ID, so a mail that did arrive is a recognisable copy."""
    from kshare.outbox.services import outbox_recover_lost

    outbox_recover_lost(worker_ids=worker_ids)
