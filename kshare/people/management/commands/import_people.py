"""`manage.py import_people FILE.csv` (what `kshare import-people FILE.csv` runs)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kshare.people.services import PeopleImportError, people_import_csv, people_leave_csv

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Create people from a UTF-8 CSV file; if any row has a problem, nobody is created."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV with a header: email, display_name, team, ...")
        parser.add_argument(
            "--leavers",
            action="store_true",
            help="disable the people the file lists (its email column) instead: they lose access",
        )

    def handle(self, *args, file: str, **options) -> None:
        path = Path(file)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise CommandError(f"{path} {what}; give the path of a CSV file.")
        if options["leavers"]:
            self._leavers(path)
            return
        progress = self._progress_bar() if options["verbosity"] > 0 else None
        try:
            # utf-8-sig: spreadsheet programs put a byte-order mark before the header.
            with path.open(encoding="utf-8-sig", newline="") as handle:
                report = people_import_csv(file=handle, progress=progress)
        except PermissionError as exc:
            raise CommandError(f"{path} cannot be read: permission denied.") from exc
        except PeopleImportError as exc:
            self._finish_bar()
            for problem in exc.errors:
                self.stderr.write(str(problem))
            raise CommandError(exc.summary) from exc
        self._finish_bar()
        noun = "person" if report.people == 1 else "people"
        self.stdout.write(f"Imported {report.people} {noun}.")

    def _leavers(self, path: Path) -> None:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                report = people_leave_csv(file=handle)
        except PermissionError as exc:
            raise CommandError(f"{path} cannot be read: permission denied.") from exc
        except PeopleImportError as exc:
            for problem in exc.errors:
                self.stderr.write(str(problem))
            raise CommandError(exc.summary.replace("imported", "changed")) from exc
        n = len(report.disabled)
        self.stdout.write(
            f"Disabled {n} {'person' if n == 1 else 'people'}"
            f" ({len(report.already_disabled)} already disabled)."
        )

    def _progress_bar(self):
        tty = self.stderr.isatty()
        self._bar_open = False
        last = {"at": 0.0, "tenth": 0}

        def progress(done: int, total: int) -> None:
            if total == 0:
                return
            if tty:
                now = time.monotonic()
                if done < total and now - last["at"] < 0.1:
                    return
                last["at"] = now
                filled = BAR_WIDTH * done // total
                bar = "#" * filled + "." * (BAR_WIDTH - filled)
                self.stderr.write(f"\rChecking [{bar}] {done}/{total} rows", ending="")
                self.stderr.flush()
                self._bar_open = True
            else:
                tenth = 10 * done // total
                if tenth > last["tenth"]:
                    last["tenth"] = tenth
                    self.stderr.write(f"Checked {done} of {total} rows ({10 * tenth}%).")

        return progress

    def _finish_bar(self) -> None:
        if getattr(self, "_bar_open", False):
            self.stderr.write("")
            self._bar_open = False
