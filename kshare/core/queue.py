"""The claim/retry queue behind the e-mail outbox and webhook deliveries (one service, two tables).

An item is a row of a concrete ``ClaimedItem`` model (``core.models``): ``status`` (queued /
sending / sent / failed), ``attempts``, ``next_attempt_at``, ``last_error``, ``claimed_at`` and
``claimed_by``. A ``ClaimQueue`` holds the rules both apps share:

- **claiming**: a worker takes an item with a conditional UPDATE queued → *sending* (only when it
  is due), stamping ``claimed_at`` with the real time and ``claimed_by`` with its lease id
  (``core.leases``), so two workers never send one item at the same time; only the holder of
  that claim (``mine``) records the result;
- **back-off**: a failed attempt goes back to *queued*, due after ``backoff(attempts)`` (1 min,
  5 min, 15 min, 1 h, 4 h, then every 12 h), with a task deferred to that time where the task
  backend can defer (the tick sends it anyway);
- **taking back** what a dead worker left *sending*: at once when its lease expires
  (``recover_lost``, on ``core.leases.workers_lost``), else once the claim is older than
  ``STALE_AFTER`` (``recover_stale``, in the tick). The interrupted attempt counts: it may have
  reached the other side, and an item that kills its worker every time must not be tried for
  ever;
- **the tick**: stale claims back, then up to a batch of due items sent, oldest due first.

What it means to *send* an item stays in its app (``outbox.services``, ``webhooks.services``).
The app's tasks module binds its tasks to the queue (``sends`` / ``ticks``), so the services
enqueue through the queue and never import their own tasks module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.tasks import Task
from django.utils import timezone

from kshare.core.leases import current_worker_id
from kshare.core.models import ClaimedItem

logger = logging.getLogger(__name__)

Status = ClaimedItem.Status
# Waits after 1, 2, … failed attempts; the last one repeats.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=12),
)
# An item claimed longer ago than this and still "sending": its worker died mid-send.
STALE_AFTER = timedelta(minutes=10)
# Upper bound of items one tick sends; the rest wait for the next tick.
TICK_BATCH = 100


@dataclass(frozen=True)
class TickResult:
    recovered: int
    sent: int
    retrying: int
    failed: int


def backoff(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts (1 → 1 min … 6 and more → 12 h)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _take_back(stale: QuerySet[Any], *, now: datetime, note: str, max_attempts: int) -> int:
    last = max_attempts - 1
    failed = stale.filter(attempts__gte=last).update(
        status=Status.FAILED, attempts=last + 1, last_error=note, claimed_at=None, claimed_by=""
    )
    queued = stale.update(
        status=Status.QUEUED,
        attempts=F("attempts") + 1,
        last_error=note,
        next_attempt_at=now,
        claimed_at=None,
        claimed_by="",
    )
    return failed + queued


class ClaimQueue[Item: ClaimedItem]:
    """The queue of one ``ClaimedItem`` model; ``what`` names an item in log lines."""

    def __init__(self, model: type[Item], *, max_attempts: Callable[[], int], what: str) -> None:
        self.model = model
        self.max_attempts = max_attempts
        self.what = what
        self.send_task: Task[..., Any] | None = None
        self.tick_task: Task[..., Any] | None = None

    # --- the tasks (bound by the app's tasks module) ------------------------------------------

    def sends(self, task: Task[..., Any]) -> Task[..., Any]:
        """Decorator for the task that sends one item, given its id."""
        self.send_task = task
        return task

    def ticks(self, task: Task[..., Any]) -> Task[..., Any]:
        """Decorator for the app's periodic task (``tick``)."""
        self.tick_task = task
        return task

    def _bound(self, task: Task[..., Any] | None, kind: str) -> Task[..., Any]:
        if task is None:
            raise RuntimeError(f"No {kind} task is bound to the {self.what} queue.")
        return task

    def enqueue(self, pk: int) -> None:
        """Enqueue the sending of one item now."""
        self._bound(self.send_task, "send").enqueue(pk)

    def enqueue_on_commit(self, pks: Iterable[int]) -> None:
        """Enqueue the sending of these items once the current transaction commits (at once
        outside one). An item whose task cannot be queued is logged and left to the tick."""
        ids = list(pks)
        if ids:
            transaction.on_commit(lambda: self._enqueue_each(ids))

    def _enqueue_each(self, ids: list[int]) -> None:
        for pk in ids:
            try:
                self.enqueue(pk)
            except Exception:  # the tick sends it anyway
                logger.exception("Could not enqueue %s %s", self.what, pk)

    def enqueue_tick(self) -> None:
        self._bound(self.tick_task, "tick").enqueue()

    def defer(self, pk: int, when: datetime) -> None:
        """Also enqueue a task for the exact retry time, where the task backend can defer."""
        try:
            task = self._bound(self.send_task, "send")
            if task.get_backend().supports_defer:
                task.using(run_after=when).enqueue(pk)
        except Exception:  # the tick sends it anyway
            logger.exception("Could not enqueue the retry of %s %s", self.what, pk)

    # --- one attempt --------------------------------------------------------------------------

    def claim(self, pk: int, *, now: datetime) -> datetime | None:
        """Claim a queued, due item for this worker; returns the claim's time, or None when it
        is sent, failed, not due yet, or another worker has it."""
        # Stamped with the real time (a long tick's ``now`` would age the claim).
        claimed_at = timezone.now()
        claimed = self.model._default_manager.filter(
            pk=pk, status=Status.QUEUED, next_attempt_at__lte=now
        ).update(status=Status.SENDING, claimed_at=claimed_at, claimed_by=current_worker_id())
        return claimed_at if claimed == 1 else None

    def mine(self, pk: int, claimed_at: datetime) -> QuerySet[Item]:
        """The item while this claim holds: a claim taken back as stale (and taken by someone
        else since) is left alone by whoever held it first."""
        return self.model._default_manager.filter(
            pk=pk, status=Status.SENDING, claimed_at=claimed_at
        )

    def retry_later(
        self, mine: QuerySet[Item], *, pk: int, attempts: int, **fields: Any
    ) -> datetime:
        """Back to *queued* after a failed attempt, due after ``backoff(attempts)``; returns
        when."""
        when = timezone.now() + backoff(attempts)
        if mine.update(
            status=Status.QUEUED,
            attempts=attempts,
            next_attempt_at=when,
            claimed_at=None,
            **fields,
        ):
            self.defer(pk, when)
        return when

    def is_last(self, attempts: int) -> bool:
        return attempts >= self.max_attempts()

    # --- taking back ----------------------------------------------------------------------------

    def recover_stale(self, *, now: datetime | None = None) -> int:
        """Put items stuck in *sending* longer than ``STALE_AFTER`` back in the queue (or fail
        them on their last attempt); requeued items are due at once, because the interruption
        was the worker's. Returns how many items were taken back."""
        now = now or timezone.now()
        stale = self.model._default_manager.filter(
            status=Status.SENDING, claimed_at__lt=now - STALE_AFTER
        )
        note = f"The worker stopped while sending (found after {STALE_AFTER})."
        return _take_back(stale, now=now, note=note, max_attempts=self.max_attempts())

    def recover_lost(self, *, worker_ids: Iterable[str], now: datetime | None = None) -> int:
        """Take back at once the items that workers whose lease expired were sending, and send
        them now; returns how many. Counted as an attempt, as a stale claim is; items claimed
        outside a leased worker (``claimed_by`` empty) wait for the staleness limit instead."""
        now = now or timezone.now()
        ids = [worker_id for worker_id in worker_ids if worker_id]
        items = self.model._default_manager
        pks = list(
            items.filter(status=Status.SENDING, claimed_by__in=ids).values_list("pk", flat=True)
        )
        lost = items.filter(pk__in=pks, status=Status.SENDING, claimed_by__in=ids)
        note = "The worker stopped while sending (its lease expired)."
        _take_back(lost, now=now, note=note, max_attempts=self.max_attempts())
        queued = list(items.filter(pk__in=pks, status=Status.QUEUED).values_list("pk", flat=True))
        # The item's own task may already have run and found it *sending*: a new one sends it.
        for pk in queued:
            self.enqueue(pk)
        return len(queued)

    # --- the periodic work and "Retry now" --------------------------------------------------------

    def tick(
        self,
        deliver: Callable[[int, datetime], tuple[str, BaseException | None]],
        *,
        now: datetime | None = None,
        batch: int = TICK_BATCH,
        stop: Callable[[BaseException], bool] = lambda error: False,
    ) -> TickResult:
        """Recover stale claims, then ``deliver`` up to ``batch`` due items (oldest due first),
        stopping early when ``stop`` says an error will hit the rest too."""
        now = now or timezone.now()
        recovered = self.recover_stale(now=now)
        due = list(
            self.model._default_manager.filter(status=Status.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:batch]
        )
        counts = {Status.SENT: 0, Status.QUEUED: 0, Status.FAILED: 0}
        for pk in due:
            status, error = deliver(pk, now)
            if status:
                counts[Status(status)] += 1
            if error is not None and stop(error):
                break
        return TickResult(
            recovered=recovered,
            sent=counts[Status.SENT],
            retrying=counts[Status.QUEUED],
            failed=counts[Status.FAILED],
        )

    def retry(self, pks: Iterable[int], *, now: datetime | None = None) -> tuple[int, list[int]]:
        """Queue queued or failed items for now ("Retry now"); sent ones and those being sent
        are left alone, and the attempts count is kept. Returns how many, and their ids (for
        the caller to enqueue)."""
        now = now or timezone.now()
        retryable = [Status.QUEUED, Status.FAILED]
        items = self.model._default_manager
        ids = list(
            items.filter(pk__in=list(pks), status__in=retryable).values_list("pk", flat=True)
        )
        count = items.filter(pk__in=ids, status__in=retryable).update(
            status=Status.QUEUED, next_attempt_at=now
        )
        return count, ids

    def retry_failed(self, *, now: datetime | None = None) -> int:
        """Queue every failed item for now ("Retry all failed") and enqueue one tick, which
        sends them in batches; returns how many."""
        count = self.model._default_manager.filter(status=Status.FAILED).update(
            status=Status.QUEUED, next_attempt_at=now or timezone.now()
        )
        if count:
            self.enqueue_tick()
        return count
