"""``reminders_tick``: the same as ``kshare tick reminders`` (kept for cron lines
that name it)."""

from __future__ import annotations

from kshare.core.management.commands.tick import Command as TickCommand


class Command(TickCommand):
    help = (
        "Send the due session reminders and today's organiser digests. Safe to run as often "
        "as you like (the same as `kshare tick reminders`)."
    )
    ticks = ("reminders",)
