"""Run the periodic outbox work once: for cron, or when no worker clock runs."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Send the queued mails that are due (retries after a failure) and put back mails whose "
        "worker stopped while sending. Safe to run as often as you like."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the work for the task worker instead of doing it now",
        )

    def handle(self, *args, enqueue: bool = False, **options) -> None:
        if enqueue:
            from kshare.outbox.tasks import outbox_tick_task

            result = outbox_tick_task.enqueue()
            self.stdout.write(f"Queued the outbox tick (task {result.id}).")
            return
        from kshare.outbox.services import outbox_tick

        tick = outbox_tick()
        self.stdout.write(
            f"Outbox: {tick.sent} sent, {tick.retrying} to retry later, {tick.failed} failed, "
            f"{tick.recovered} taken back from stopped workers."
        )
