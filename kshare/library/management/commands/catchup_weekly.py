"""Send the weekly catch-up e-mails that are due: for cron, or when no worker clock runs."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Send the weekly catch-up e-mails that are due (Mondays from 08:00 in each person's "
        "timezone). Safe to run as often as you like: at most one mail per person and week."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the work for the task worker instead of doing it now",
        )

    def handle(self, *args, enqueue: bool = False, **options) -> None:
        if enqueue:
            from kshare.library.tasks import catchup_weekly_task

            result = catchup_weekly_task.enqueue()
            self.stdout.write(f"Queued the weekly catch-up e-mails (task {result.id}).")
            return
        from kshare.library.catchup import catchup_weekly_send

        sent = catchup_weekly_send()
        self.stdout.write(f"Weekly catch-up e-mails: {sent} sent.")
