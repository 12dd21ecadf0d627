"""How long `manage.py demo --people 5000` takes, and how much memory it needs.

The demo runs in a child process against a fresh database of its own: a temporary SQLite file,
or, when DATABASE_URL names a PostgreSQL server, a throw-away database on that server. Wall time
covers the whole command (Django start-up included, migrations excluded); peak RSS comes from
the child's own resource usage (``os.wait4``), so other children of the runner do not count.

Run alone with ``.venv/bin/python bench/bench_demo.py [PEOPLE]`` (SQLite, then PostgreSQL when
DATABASE_URL says so), or through ``bench/run.py -k demo``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 5_000

COUNT_SCRIPT = """
import json, django
django.setup()
from kshare.people.models import Person
from kshare.sessions.models import Attendance, Invitation, Session
print(json.dumps({
    "people": Person.objects.count(),
    "sessions": Session.objects.count(),
    "invitations": Invitation.objects.count(),
    "attendances": Attendance.objects.count(),
}))
"""


def _child(args: list[str], env: dict[str, str], log: Path) -> tuple[float, int, int]:
    """Run ``python args`` in ROOT; return (seconds, peak RSS in kB, exit status)."""
    started = time.perf_counter()
    with log.open("ab") as out:
        # Our own interpreter with fixed arguments.
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss, proc.returncode


def _postgres_url(database_url: str) -> str | None:
    scheme = urlsplit(database_url).scheme
    return database_url if scheme in {"postgres", "postgresql", "pgsql"} else None


def measure(*, database: str, people: int = PEOPLE, seed: int = 1) -> list[dict]:
    """Create the demo for ``people`` in a fresh ``database`` ("sqlite" or "postgresql")."""
    home = Path(tempfile.mkdtemp(prefix="kshare-bench-demo-"))
    log = home / "demo.log"
    env = {
        **os.environ,
        "KSHARE_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "kshare.settings",
        "KSHARE_INSECURE_HTTP": "1",
    }
    env.pop("KSHARE_TESTING", None)
    dropper = None
    if database == "postgresql":
        server_url = _postgres_url(os.environ.get("DATABASE_URL", ""))
        if server_url is None:
            raise RuntimeError("Set DATABASE_URL to a PostgreSQL server to measure PostgreSQL.")
        env["DATABASE_URL"], dropper = _postgres_database(server_url, f"kshare_demo_{os.getpid()}")
    else:
        env.pop("DATABASE_URL", None)
    try:
        _, _, status = _child(["manage.py", "migrate", "--verbosity", "0"], env, log)
        if status != 0:
            raise RuntimeError(f"migrate failed; see {log}:\n{log.read_text()[-2000:]}")
        seconds, rss_kb, status = _child(
            ["manage.py", "demo", "--people", str(people), "--seed", str(seed)], env, log
        )
        if status != 0:
            raise RuntimeError(f"demo failed; see {log}:\n{log.read_text()[-2000:]}")
        counted = subprocess.run(  # noqa: S603 — our interpreter, fixed script
            [sys.executable, "-c", COUNT_SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        counts = json.loads(counted.stdout.strip().splitlines()[-1])
    finally:
        if dropper is not None:
            dropper()
        shutil.rmtree(home, ignore_errors=True)
    name = f"demo_{people}_people"
    rows = [
        {"name": name, "metric": "seconds", "value": round(seconds, 1), "unit": "s"},
        {"name": name, "metric": "peak_rss", "value": round(rss_kb / 1024, 1), "unit": "MB"},
    ]
    rows += [{"name": name, "metric": k, "value": v, "unit": "rows"} for k, v in counts.items()]
    return rows


def _postgres_database(server_url: str, name: str):
    """Create database ``name`` on the server; return its URL and a function that drops it."""
    import psycopg

    parts = urlsplit(server_url)
    admin_url = urlunsplit(
        (parts.scheme.replace("pgsql", "postgresql"), parts.netloc, "/postgres", "", "")
    )
    admin_url = admin_url.replace("postgres://", "postgresql://", 1)

    def execute(sql: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{name}"')
    execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    return url, lambda: execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(bench=None) -> list[dict]:
    """Measure the database the run is for: PostgreSQL when DATABASE_URL says so, else SQLite.

    Returns rows ``{name, metric, value, unit}``; with the runner's recorder, also records them.
    """
    database = "postgresql" if _postgres_url(os.environ.get("DATABASE_URL", "")) else "sqlite"
    rows = measure(database=database)
    if bench is not None:
        for row in rows:
            bench.record(row["name"], row["metric"], row["value"], row["unit"])
    return rows


if __name__ == "__main__":
    people = int(sys.argv[1]) if len(sys.argv) > 1 else PEOPLE
    databases = ["sqlite"]
    if _postgres_url(os.environ.get("DATABASE_URL", "")):
        databases.append("postgresql")
    for database in databases:
        for row in measure(database=database, people=people):
            print(json.dumps({**row, "database": database}))
