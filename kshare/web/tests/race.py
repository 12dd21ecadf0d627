"""Run the same action in several threads at once, for tests of races (double clicks, workers).

The SQLite test database is a file (see settings: TESTING), as in production, so concurrent
connections wait for the busy timeout exactly as kshare's own database does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def race(action: Callable[[int], object], *, threads: int) -> list[BaseException]:
    """Call ``action(i)`` for i in 0..threads-1, released together, each thread on its own
    database connection; returns the exceptions raised, for the test to assert on."""
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
