"""Run the periodic feedback work once: for cron, or when no worker clock runs."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Send feedback forms for sessions that ended in the last 14 days, due reminders and "
        "mails that failed before. Safe to run as often as you like."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the work for the task worker instead of doing it now",
        )

    def handle(self, *args, enqueue: bool = False, **options) -> None:
        if enqueue:
            from kshare.feedback.tasks import feedback_tick_task

            result = feedback_tick_task.enqueue()
            self.stdout.write(f"Queued the feedback tick (task {result.id}).")
            return
        from kshare.feedback.dispatch import feedback_tick

        tick = feedback_tick()
        self.stdout.write(
            f"Feedback: {tick.sessions} session(s) dispatched, {tick.sent} form mail(s) sent, "
            f"{tick.retried} retried, {tick.reminded} reminder(s), "
            f"{tick.released} anonymous response(s) and {tick.hosts_released} host answer(s) "
            "released."
        )
