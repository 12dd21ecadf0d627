"""The worker clock enqueues each periodic task once per period, however many clocks run: the
first to claim the (task, period) row enqueues it, the others see the claim and skip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from kshare.core.clock import (
    CLAIMS_KEPT,
    clock_claim,
    clock_tick,
    period_start,
    seconds_to_next_period,
)
from kshare.core.models import ClockClaim
from kshare.feedback.tests import clock_probe

PROBE = "kshare.feedback.tests.clock_probe.probe"
# 2030-01-01 00:01:30 UTC: 30 s into a minute.
NOW = datetime(2030, 1, 1, 0, 1, 30, tzinfo=UTC).timestamp()


def test_periods_are_counted_from_the_epoch_so_every_clock_agrees():
    assert period_start(now=NOW, interval=60) == datetime(2030, 1, 1, 0, 1, tzinfo=UTC)
    assert period_start(now=NOW + 29.999, interval=60) == datetime(2030, 1, 1, 0, 1, tzinfo=UTC)
    assert period_start(now=NOW + 30, interval=60) == datetime(2030, 1, 1, 0, 2, tzinfo=UTC)
    assert period_start(now=NOW + 0.26, interval=0.25) == datetime(
        2030, 1, 1, 0, 1, 30, 250_000, tzinfo=UTC
    )


def test_a_clock_sleeps_until_just_after_the_next_period_starts():
    assert seconds_to_next_period(now=NOW, interval=60) == pytest.approx(30.01)
    assert seconds_to_next_period(now=NOW + 29.999, interval=60) == pytest.approx(0.011, abs=1e-6)


@pytest.mark.django_db
def test_two_clocks_in_one_period_enqueue_each_task_once():
    clock_probe.calls.clear()
    tasks = [PROBE, "kshare.outbox.tasks.outbox_tick_task"]

    first = clock_tick(tasks, interval=60, now=NOW)
    second = clock_tick(tasks, interval=60, now=NOW + 20)  # another worker, same minute

    assert (first, second) == (2, 0)
    assert len(clock_probe.calls) == 1
    claims = list(ClockClaim.objects.order_by("task").values_list("task", "period_start"))
    start = datetime(2030, 1, 1, 0, 1, tzinfo=UTC)
    assert claims == [
        ("kshare.feedback.tests.clock_probe.probe", start),
        ("kshare.outbox.tasks.outbox_tick_task", start),
    ]


@pytest.mark.django_db
def test_the_next_period_enqueues_again():
    clock_probe.calls.clear()

    assert clock_tick([PROBE], interval=60, now=NOW) == 1
    assert clock_tick([PROBE], interval=60, now=NOW + 30) == 1
    assert clock_tick([PROBE], interval=60, now=NOW + 45) == 0

    assert len(clock_probe.calls) == 2
    assert ClockClaim.objects.count() == 2


@pytest.mark.django_db
def test_a_tick_by_hand_enqueues_without_claiming():
    clock_probe.calls.clear()

    assert clock_tick([PROBE]) == 1
    assert clock_tick([PROBE]) == 1

    assert (len(clock_probe.calls), ClockClaim.objects.count()) == (2, 0)


@pytest.mark.django_db
def test_a_task_that_cannot_be_enqueued_leaves_its_period_free():
    # Not a task: enqueue() fails, and the claim goes with it.
    assert clock_tick(["kshare.core.clock.period_start"], interval=60, now=NOW) == 0
    assert ClockClaim.objects.count() == 0
    assert clock_claim(task="kshare.core.clock.period_start", start=datetime.now(UTC)) is True


@pytest.mark.django_db
def test_claims_older_than_a_day_are_deleted():
    start = period_start(now=NOW, interval=60)
    old = ClockClaim.objects.create(
        task=PROBE, period_start=start - CLAIMS_KEPT - timedelta(minutes=1), claimed_by="w:1"
    )
    kept = ClockClaim.objects.create(task=PROBE, period_start=start - CLAIMS_KEPT, claimed_by="w:1")

    clock_tick([PROBE], interval=60, now=NOW)

    assert set(ClockClaim.objects.values_list("period_start", flat=True)) == {
        kept.period_start,
        start,
    }
    assert ClockClaim.objects.filter(pk=old.pk).exists() is False


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_backend_gets_one_task_per_period(settings):
    """With the real database task backend: what the clocks enqueue is what the worker runs."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    for offset in (0, 1, 2, 61, 62, 125):
        clock_tick(["kshare.outbox.tasks.outbox_tick_task"], interval=60, now=NOW + offset)

    queued = DBTaskResult.objects.filter(task_path="kshare.outbox.tasks.outbox_tick_task")
    assert queued.count() == 3  # minutes 1, 2 and 3
    assert ClockClaim.objects.count() == 3
