"""``catchup_weekly``: the same as ``kshare tick catchup_weekly`` (kept for cron lines
that name it)."""

from __future__ import annotations

from kshare.core.management.commands.tick import Command as TickCommand


class Command(TickCommand):
    help = (
        "Send the weekly catch-up e-mails that are due (Mondays from 08:00 in each person's "
        "timezone). Safe to run as often as you like (the same as `kshare tick "
        "catchup_weekly`)."
    )
    ticks = ("catchup_weekly",)
