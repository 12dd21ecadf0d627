"""Run the periodic reminder work once: for cron, or when no worker clock runs."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Send the due session reminders and today's organiser digests. "
        "Safe to run as often as you like: nothing is sent twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the work for the task worker instead of doing it now",
        )

    def handle(self, *args, enqueue: bool = False, **options) -> None:
        if enqueue:
            from kshare.scheduling.reminders.tasks import reminders_tick

            result = reminders_tick.enqueue()
            self.stdout.write(f"Queued the reminders tick (task {result.id}).")
            return
        from kshare.scheduling.reminders.services import reminders_tick

        tick = reminders_tick()
        self.stdout.write(
            f"Reminders: {tick.sent} sent, {tick.planned} session(s) planned, "
            f"{tick.dropped} lapsed dropped, {tick.digests} organiser digest(s)."
        )
