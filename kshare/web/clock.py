"""The clock: enqueues periodic tasks, because the database task backend has no scheduler.

``kshare worker`` (and so ``kshare up``) runs one in a daemon thread. Every task listed here
must be idempotent, so the clocks of several workers enqueueing the same task are harmless.
A feature adds its periodic task to ``PERIODIC_TASKS`` as a dotted path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

PERIODIC_TASKS: list[str] = [
    "kshare.feedback.tasks.feedback_tick_task",
    "kshare.outbox.tasks.outbox_tick_task",
    "kshare.reminders.tasks.reminders_tick",
    "kshare.reminders.cadence.cadence_nudge_task",
    "kshare.library.tasks.catchup_weekly_task",
    "kshare.recommend.tasks.recommend_tick_task",
    "kshare.webhooks.tasks.webhooks_tick_task",
    "kshare.dashboard.tasks.dashboard_tick_task",
    "kshare.attendance.tasks.attendance_auto_held_task",
    "kshare.people.tasks.auth_attempts_prune_task",
]


def clock_tick(tasks: Sequence[str] = ()) -> int:
    """Enqueue each periodic task once; returns how many were enqueued."""
    enqueued = 0
    for path in tasks or PERIODIC_TASKS:
        try:
            import_string(path).enqueue()
        except Exception:
            # A database hiccup must not stop the clock: the next tick tries again.
            logger.exception("The clock could not enqueue %s", path)
            continue
        enqueued += 1
    return enqueued


class Clock(threading.Thread):
    """Enqueues the periodic tasks now and then every ``interval`` seconds until stopped."""

    def __init__(self, *, interval: float, tasks: Sequence[str] = ()) -> None:
        super().__init__(name="clock", daemon=True)
        self.interval = interval
        self.tasks = tuple(tasks)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                clock_tick(self.tasks)
            finally:
                # The thread's own connection: closed so it is never left open between ticks.
                connection.close()
            self.stopped.wait(self.interval)

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
