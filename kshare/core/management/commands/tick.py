"""``kshare tick [NAME ...]``: run the periodic tasks once (for cron, or when no worker clock
runs); ``--list`` names them, ``--enqueue`` queues them for the worker instead."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kshare.core.ticks import Tick, tick_get, ticks_all


class Command(BaseCommand):
    help = (
        "Run the periodic tasks once (all of them, or those named): what the worker's clock "
        "queues every KSHARE_TICK_SECONDS. Safe to run as often as you like."
    )
    # A fixed tick (the older per-feature commands: ``feedback_tick`` and the like).
    ticks: tuple[str, ...] = ()

    def add_arguments(self, parser: CommandParser) -> None:
        if not self.ticks:
            parser.add_argument("names", nargs="*", metavar="NAME", help="the ticks to run")
            parser.add_argument(
                "--list", action="store_true", help="list the ticks and what they do"
            )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the work for the task worker instead of doing it now",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("list"):
            for tick in ticks_all():
                self.stdout.write(f"{tick.name:<22} {tick.help or tick.path}")
            return
        names = list(self.ticks) or list(options.get("names") or [])
        try:
            chosen = [tick_get(name) for name in names] if names else ticks_all()
        except KeyError as exc:
            raise CommandError(exc.args[0]) from None
        for tick in chosen:
            self._run(tick, enqueue=options["enqueue"])

    def _run(self, tick: Tick, *, enqueue: bool) -> None:
        task = tick.task()
        if enqueue:
            result = task.enqueue()
            self.stdout.write(f"Queued {tick.queued} (task {result.id}).")
            return
        self.stdout.write(tick.describe(task.call()))
