"""Claimed work items (outbox mails, webhook deliveries): taking back what a dead worker left.

Both keep ``status`` (queued / sending / sent / failed), ``claimed_at``, ``attempts``,
``last_error`` and ``next_attempt_at``; a worker claims an item with a conditional UPDATE to
*sending*, writing its lease id in ``claimed_by``. An item still *sending* long after its claim,
or claimed by a worker whose lease expired (``kshare.web.leases``), lost its worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import F, Model, QuerySet

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


def backoff(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts (1 → 1 min … 6 and more → 12 h)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _take_back(stale: QuerySet, *, now: datetime, note: str, max_attempts: int) -> int:
    last = max_attempts - 1
    failed = stale.filter(attempts__gte=last).update(
        status="failed", attempts=last + 1, last_error=note, claimed_at=None, claimed_by=""
    )
    queued = stale.update(
        status="queued",
        attempts=F("attempts") + 1,
        last_error=note,
        next_attempt_at=now,
        claimed_at=None,
        claimed_by="",
    )
    return failed + queued


def claims_recover_stale(
    model: type[Model], *, now: datetime, stale_after: timedelta, max_attempts: int
) -> int:
    """Put items stuck in *sending* back in the queue (or fail them on their last attempt).

    The interrupted attempt counts (it may have reached the other side, and an item that crashes
    its worker every time must not be tried forever); requeued items are due at once, because
    the interruption was the worker's. Returns how many items were taken back.
    """
    stale = model._default_manager.filter(status="sending", claimed_at__lt=now - stale_after)
    note = f"The worker stopped while sending (found after {stale_after})."
    return _take_back(stale, now=now, note=note, max_attempts=max_attempts)


def claims_recover_lost(
    model: type[Model], *, worker_ids: Iterable[str], now: datetime, max_attempts: int
) -> list[int]:
    """Take back at once the items that workers whose lease expired were sending; returns the
    ids put back in the queue, for the caller to enqueue their sending task.

    Counted as an attempt, as a stale claim is (``claims_recover_stale``); items claimed outside
    a leased worker (``claimed_by`` empty) wait for the staleness limit instead.
    """
    ids = [worker_id for worker_id in worker_ids if worker_id]
    items = model._default_manager
    pks = list(items.filter(status="sending", claimed_by__in=ids).values_list("pk", flat=True))
    lost = items.filter(pk__in=pks, status="sending", claimed_by__in=ids)
    note = "The worker stopped while sending (its lease expired)."
    _take_back(lost, now=now, note=note, max_attempts=max_attempts)
    return list(items.filter(pk__in=pks, status="queued").values_list("pk", flat=True))
