"""The clock: enqueues periodic tasks, because the database task backend has no scheduler.

``kshare worker`` (and so ``kshare up``) runs one in a daemon thread. Time is cut into periods
of ``KSHARE_TICK_SECONDS`` counted from the epoch, so every worker's clock agrees on them; each
clock wakes at the start of a period and *claims* each task for that period by inserting a
``ClockClaim`` row under a unique constraint. Only the clock whose insert succeeds enqueues the
task, so a periodic task runs once per period however many workers run (and the rows show which
worker ran it). The tasks stay idempotent all the same: a period whose every clock was late is
skipped, and the next one catches up.

Each app registers its periodic tasks in its ``ticks.py`` (``kshare.core.ticks``); the clock
enqueues every registered one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils.module_loading import import_string

from kshare.core.models import ClockClaim
from kshare.core.ticks import periodic_tasks

logger = logging.getLogger(__name__)

# Claims older than this are deleted by the clock (they only serve to look back).
CLAIMS_KEPT = timedelta(days=1)
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


def period_start(*, now: float, interval: float) -> datetime:
    """The start of the period of ``interval`` seconds (counted from the epoch) holding ``now``."""
    step = max(round(interval * 1_000_000), 1)
    start = int(now * 1_000_000) // step * step
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=start)


def clock_claim(*, task: str, start: datetime, by: str = WORKER_NAME) -> bool:
    """Claim ``task`` for the period beginning at ``start``: True for the one clock that may
    enqueue it, False when another clock (or this one) already did."""
    try:
        with transaction.atomic():
            ClockClaim.objects.create(task=task, period_start=start, claimed_by=by)
    except IntegrityError:
        return False
    return True


def clock_tick(tasks: Sequence[str] = (), *, interval: float = 0, now: float | None = None) -> int:
    """Enqueue each periodic task that no clock has enqueued in the current period yet.

    With ``interval`` 0 (a tick run by hand) every task is enqueued, unclaimed. The claim and
    the enqueued task are one transaction: a task that cannot be enqueued leaves its period free
    for another clock. Returns how many tasks this call enqueued.
    """
    now = time.time() if now is None else now
    start = period_start(now=now, interval=interval) if interval > 0 else None
    enqueued = 0
    for path in tasks or periodic_tasks():
        try:
            with transaction.atomic():
                if start is not None and not clock_claim(task=path, start=start):
                    continue
                import_string(path).enqueue()
        except Exception:
            # A database hiccup must not stop the clock: the next tick tries again.
            logger.exception("The clock could not enqueue %s", path)
            continue
        enqueued += 1
    if start is not None:
        try:
            ClockClaim.objects.filter(period_start__lt=start - CLAIMS_KEPT).delete()
        except Exception:
            logger.exception("The clock could not delete its old claims")
    return enqueued


def seconds_to_next_period(*, now: float, interval: float) -> float:
    """How long to sleep until the next period starts (a little after, never before, it)."""
    start = period_start(now=now, interval=interval).timestamp()
    return max(start + interval - now, 0.0) + min(0.01, interval / 10)


class Clock(threading.Thread):
    """Enqueues the periodic tasks now and then at the start of every period until stopped."""

    def __init__(self, *, interval: float, tasks: Sequence[str] = ()) -> None:
        super().__init__(name="clock", daemon=True)
        self.interval = interval
        self.tasks = tuple(tasks)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                clock_tick(self.tasks, interval=self.interval)
            finally:
                # The thread's own connection: closed so it is never left open between ticks.
                connection.close()
            self.stopped.wait(seconds_to_next_period(now=time.time(), interval=self.interval))

    def stop(self, timeout: float | None = 5) -> None:
        self.stopped.set()
        self.join(timeout)


def clock_start(*, interval: float, tasks: Sequence[str] = ()) -> Clock | None:
    """Start the clock, or nothing when the interval is 0 (switched off)."""
    if interval <= 0:
        return None
    clock = Clock(interval=interval, tasks=tasks)
    clock.start()
    return clock
