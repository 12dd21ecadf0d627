"""Run a benchmark script's measuring part in a child process with its own kshare home.

The child (``script --child``) builds its data in a fresh ``KSHARE_HOME`` — SQLite, or a PostgreSQL
database created for it and dropped afterwards — and prints its result rows as JSON on its last
line of output; its progress goes to a log that is shown when it fails (or always, with ``echo``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child_measure(
    script: Path,
    *,
    label: str,
    database: str,
    env_extra: dict[str, str] | None = None,
    echo: bool = False,
) -> list[dict]:
    from bench_demo import _postgres_database, _postgres_url

    home = Path(tempfile.mkdtemp(prefix=f"kshare-bench-{label}-"))
    log = home / f"{label}.log"
    env = {
        **os.environ,
        "KSHARE_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "kshare.settings",
        "KSHARE_INSECURE_HTTP": "1",
        **(env_extra or {}),
    }
    env.pop("KSHARE_TESTING", None)
    dropper = None
    if database == "postgresql":
        server_url = _postgres_url(os.environ.get("DATABASE_URL", ""))
        if server_url is None:
            raise RuntimeError("Set DATABASE_URL to a PostgreSQL server to measure PostgreSQL.")
        env["DATABASE_URL"], dropper = _postgres_database(
            server_url, f"kshare_{label}_{os.getpid()}"
        )
    else:
        env.pop("DATABASE_URL", None)
    try:
        with log.open("wb") as err:
            done = subprocess.run(  # noqa: S603 - our own interpreter and script
                [sys.executable, str(script.resolve()), "--child"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=err,
                check=False,
            )
        if done.returncode != 0:
            raise RuntimeError(f"the {label} bench failed:\n{log.read_text()[-3000:]}")
        if echo:
            sys.stderr.write(log.read_text())
        return json.loads(done.stdout.decode().strip().splitlines()[-1])
    finally:
        if dropper is not None:
            dropper()
        shutil.rmtree(home, ignore_errors=True)


def child_run(script: Path, *, label: str, bench=None, **options) -> list[dict]:
    """Measure on the database DATABASE_URL names (SQLite without it) and record the rows."""
    from bench_demo import _postgres_url

    database = "postgresql" if _postgres_url(os.environ.get("DATABASE_URL", "")) else "sqlite"
    rows = child_measure(script, label=label, database=database, **options)
    if bench is not None:
        for row in rows:
            bench.record(row["name"], row["metric"], row["value"], row["unit"])
    return rows
