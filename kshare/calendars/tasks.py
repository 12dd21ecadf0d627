"""Background work for calendars: thin tasks that call a service."""

from __future__ import annotations

import logging
from dataclasses import asdict

from django.conf import settings
from django.tasks import task

logger = logging.getLogger(__name__)


@task
def mail_in_tick_task() -> dict[str, int | str]:
    """Periodic (the clock): read the calendar replies in the ``KSHARE_IMAP_URL`` mailbox, when
    one is configured. A mailbox that cannot be reached is logged and tried again next tick."""
    if settings.KSHARE_IMAP is None:
        return {"skipped": "KSHARE_IMAP_URL is not set"}
    from kshare.calendars.mail_in import MailInError, mail_in_imap

    try:
        result = mail_in_imap()
    except MailInError as exc:
        logger.error("Calendar replies not read: %s", exc)
        return {"error": str(exc)}
    return asdict(result)
