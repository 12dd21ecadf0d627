"""`kshare worker` as real processes for tests, on the test database (the SQLite file or the
PostgreSQL database pytest made), so that what they do is seen by the test and the other way round.

The test starts them when their tasks are to be taken (each ``start`` returns once the worker
holds its lease, i.e. takes tasks) and kills or stops them; the fixture that makes a ``Workers``
stops them all before the database is emptied. Tests that use them need committed rows
(``django_db(transaction=True)``, or a live server) and ``DATABASE_TASKS``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from kshare.core.models import WorkerLease
from kshare.web.tests.test_cli import PROJECT_DIR, kshare_env

# Tasks go to the database, as in production, for the workers to take.
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def database_url() -> str:
    """The test database as a DATABASE_URL, for a kshare process started by the test."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"  # the test database's file: an absolute path
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def wait_for(
    condition: Callable[[], bool],
    what: str,
    *,
    process: subprocess.Popen | None = None,
    seconds: float = 180,
) -> None:
    """Poll ``condition`` until true; fail at once when ``process`` (a worker) exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the worker exited with {process.returncode} before {what}")
        time.sleep(0.02)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class Workers:
    """`kshare worker` processes with ``home`` as KSHARE_HOME (their logs are kept there) and
    ``env`` added to their environment; no clock unless a test asks (KSHARE_TICK_SECONDS)."""

    def __init__(self, home: Path, **env: str) -> None:
        self.home = home
        self.env = kshare_env(
            home, DATABASE_URL=database_url(), **{"KSHARE_TICK_SECONDS": "0", **env}
        )
        self.processes: list[subprocess.Popen] = []

    def start(self, *options: str, **env: str) -> subprocess.Popen:
        """Start a worker (``options`` added to its command line, ``env`` to its environment);
        returns once it holds its lease (it is taking tasks)."""
        with (self.home / f"worker-{len(self.processes)}.log").open("w") as log:
            process = subprocess.Popen(  # noqa: S603 - our own command
                [sys.executable, "-m", "kshare.cli", "worker", "--interval", "0.1", *options],
                cwd=PROJECT_DIR,
                env={**self.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        wait_for(
            lambda: WorkerLease.objects.filter(pid=process.pid).exists(),
            "the worker's lease",
            process=process,
        )
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL: the worker dies where it is, as in an out-of-memory kill or a power cut."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def log(self) -> str:
        logs = sorted(self.home.glob("worker-*.log"))
        return "\n".join(f"[{p.name}]\n{p.read_text()[-4000:]}" for p in logs) or "(none started)"

    @contextmanager
    def explain_failures(self) -> Iterator[None]:
        """A failure inside shows the workers' output under its traceback."""
        try:
            yield
        except BaseException as exc:
            exc.add_note(f"--- kshare worker output ---\n{self.log()}")
            raise
