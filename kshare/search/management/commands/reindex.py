"""`manage.py reindex` (what `kshare reindex` runs): rebuild the search index."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from kshare.search.services import search_reindex

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Rebuild the search index from sessions, materials, transcripts, ideas and people."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--chunk", type=int, default=500, help="rows read and written at a time (default 500)"
        )

    def handle(self, *args, **options) -> None:
        progress = self._progress_bar() if options["verbosity"] > 0 else None
        started = time.monotonic()
        total = search_reindex(progress=progress, chunk=max(1, options["chunk"]))
        self._finish_bar()
        if options["verbosity"] == 0:
            return
        noun = "document" if total == 1 else "documents"
        self.stdout.write(f"Indexed {total} {noun} in {time.monotonic() - started:.1f} s.")

    def _progress_bar(self):
        tty = self.stderr.isatty()
        self._bar_open = False
        last = {"at": 0.0, "tenth": -1}

        def progress(done: int, total: int) -> None:
            if tty:
                now = time.monotonic()
                if 0 < done < total and now - last["at"] < 0.1:
                    return
                last["at"] = now
                filled = BAR_WIDTH * done // total if total else BAR_WIDTH
                bar = "#" * filled + "." * (BAR_WIDTH - filled)
                self.stderr.write(f"\rIndexing [{bar}] {done}/{total} documents", ending="")
                self.stderr.flush()
                self._bar_open = True
            else:
                tenth = 10 * done // total if total else 10
                if tenth > last["tenth"]:
                    last["tenth"] = tenth
                    self.stderr.write(f"Indexed {done} of {total} documents ({10 * tenth}%).")

        return progress

    def _finish_bar(self) -> None:
        if getattr(self, "_bar_open", False):
            self.stderr.write("")
            self._bar_open = False
