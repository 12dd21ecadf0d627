"""Claimed work items (outbox mails, webhook deliveries): taking back what a dead worker left.

Both keep ``status`` (queued / sending / sent / failed), ``claimed_at``, ``attempts``,
``last_error`` and ``next_attempt_at``; a worker claims an item with a conditional UPDATE to
*sending*. An item still *sending* long after its claim lost its worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Model

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
    last = max_attempts - 1
    failed = stale.filter(attempts__gte=last).update(
        status="failed", attempts=last + 1, last_error=note, claimed_at=None
    )
    queued = stale.update(
        status="queued",
        attempts=F("attempts") + 1,
        last_error=note,
        next_attempt_at=now,
        claimed_at=None,
    )
    return failed + queued
