"""``outbox_tick``: the same as ``kshare tick outbox`` (kept for cron lines
that name it)."""

from __future__ import annotations

from kshare.core.management.commands.tick import Command as TickCommand


class Command(TickCommand):
    help = (
        "Send the queued mails that are due (retries after a failure) and put back mails "
        "whose worker stopped while sending. Safe to run as often as you like (the same as "
        "`kshare tick outbox`)."
    )
    ticks = ("outbox",)
