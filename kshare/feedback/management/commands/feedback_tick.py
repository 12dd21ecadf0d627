"""``feedback_tick``: the same as ``kshare tick feedback`` (kept for cron lines
that name it)."""

from __future__ import annotations

from kshare.core.management.commands.tick import Command as TickCommand


class Command(TickCommand):
    help = (
        "Send feedback forms for sessions that ended in the last 14 days, due reminders and "
        "mails that failed before. Safe to run as often as you like (the same as `kshare tick"
        " feedback`)."
    )
    ticks = ("feedback",)
