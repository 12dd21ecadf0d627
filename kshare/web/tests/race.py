"""Run the same action in several threads at once, for tests of races (double clicks, workers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import OperationalError, connection, connections


def _waiting_for_locks(action: Callable[[int], object]) -> Callable[[int], object]:
    """SQLite's in-memory test database shares one cache between connections, where a busy
    table fails at once ("database table is locked") instead of waiting for the busy timeout as
    kshare's file databases do. Retrying stands in for that wait; PostgreSQL runs without it.
    """
    if connection.vendor != "sqlite":
        return action

    def patient(i: int) -> object:
        for _ in range(500):
            try:
                return action(i)
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                time.sleep(0.01)
        raise TimeoutError("the table stayed locked")

    return patient


def race(action: Callable[[int], object], *, threads: int) -> list[BaseException]:
    """Call ``action(i)`` for i in 0..threads-1, released together, each thread on its own
    database connection; returns the exceptions raised, for the test to assert on."""
    action = _waiting_for_locks(action)
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            action(i)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    running = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=60)
    return errors
