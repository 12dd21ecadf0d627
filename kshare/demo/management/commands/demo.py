"""``manage.py demo``: create the demo organisation in an empty database."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kshare.demo import logins
from kshare.demo.generator import DemoError, demo_organisation_create


class Command(BaseCommand):
    help = (
        "Create the demo organisation (a believable company, deterministic from --seed) "
        "in an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=60, help="How many people (default 60).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")

    def handle(self, *args: object, people: int, seed: int, **options: object) -> None:
        started = time.monotonic()

        def progress(message: str) -> None:
            elapsed = time.monotonic() - started
            # Plain text: progress, not an error, even though it goes to stderr.
            self.stderr.write(f"[{elapsed:6.1f}s] {message}", style_func=str)
            self.stderr.flush()

        try:
            summary = demo_organisation_create(people=people, seed=seed, progress=progress)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        from kshare.recommend.services import recommend_mark_stale

        recommend_mark_stale(reason="kshare demo")  # the clock's next tick trains
        self.stdout.write(
            f"Created the demo organisation: {summary.people:,} people, "
            f"{summary.sessions:,} sessions in {time.monotonic() - started:.1f} s."
        )
        self.stdout.write("Sign in with:")
        for email, password, role in logins():
            self.stdout.write(f"  {email:<32} {password}  ({role})")
