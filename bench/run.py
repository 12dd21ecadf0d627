"""Run every bench/bench_*.py module and record its numbers in bench/results/<module>.json.

Usage: ``make bench`` or ``.venv/bin/python bench/run.py [-k SUBSTRING]``. Set DATABASE_URL to a
PostgreSQL server to measure there (a throw-away test_<name> database is created and dropped).
Each module defines ``run(bench: results.Recorder) -> None``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def _selected(stem: str, only: str) -> bool:
    """`-k search`: every module containing "search"; `-k recommend$`: bench_recommend only."""
    if only.endswith("$"):
        return stem == f"bench_{only[:-1]}"
    return only in stem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "-k",
        dest="only",
        action="append",
        help="run only modules whose name contains this, or is exactly bench_<NAME> when NAME ends"
        " with '$' (repeatable)",
    )
    parser.add_argument(
        "--no-save", action="store_true", help="print the table without writing bench/results/"
    )
    args = parser.parse_args(argv)

    modules = sorted(
        path.stem
        for path in BENCH_DIR.glob("bench_*.py")
        if args.only is None or any(_selected(path.stem, only) for only in args.only)
    )
    if not modules:
        print("No bench/bench_*.py modules to run.", file=sys.stderr)
        return 1

    # A throw-away home: the SQLite database, secret key and mail files of a bench never touch var/.
    home = Path(tempfile.mkdtemp(prefix="kshare-bench-"))
    os.environ["KSHARE_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kshare.settings")
    os.environ.setdefault("KSHARE_INSECURE_HTTP", "1")
    sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()
    import results
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()  # test client host, in-memory mail
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    database = "postgresql" if vendor == "postgresql" else "sqlite"
    if database == "sqlite":
        call_command("migrate", verbosity=0, interactive=False)
        created = None
    else:
        created = setup_databases(verbosity=0, interactive=False)

    recorder = results.Recorder(
        database=database, commit=results.current_commit(), date=results.now_iso()
    )
    failed = []
    # A module with its own format_table(rows) (bench_http's page x database table) prints its rows
    # that way; the others share the plain table.
    own_tables = []
    plain_rows = []
    try:
        for name in modules:
            print(f"== {name} ({database})", flush=True)
            started = time.perf_counter()
            before = len(recorder.rows)
            try:
                module = importlib.import_module(name)
                module.run(recorder)
            except Exception:
                traceback.print_exc()
                failed.append(name)
                continue
            rows = recorder.rows[before:]
            if hasattr(module, "format_table"):
                own_tables.append((module, rows))
            else:
                plain_rows.extend(rows)
            if not args.no_save and rows:
                path = results.append(name, rows)
                print(f"   {len(rows)} rows added to {path.relative_to(BENCH_DIR.parent)}")
            print(f"   took {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        if created is not None:
            teardown_databases(created, verbosity=0)
        shutil.rmtree(home, ignore_errors=True)

    if plain_rows:
        print()
        print(results.format_table(plain_rows))
    for module, rows in own_tables:
        if rows:
            print(f"\n{module.__name__}")
            print(module.format_table(rows))
    if failed:
        print(f"\nFailed: {', '.join(failed)}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
