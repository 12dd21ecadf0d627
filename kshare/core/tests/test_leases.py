"""Worker leases: a task row left RUNNING by a worker that stopped renewing its lease goes back to
the queue (or fails after TASK_MAX_LOST lost workers); live workers' tasks are left alone. The
real kill is in kshare/sessions/tests/test_worker_killed.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.checks import Warning
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from kshare.core.leases import (
    TASK_MAX_LOST,
    check_lease_seconds,
    lease_end,
    lease_renew,
    leases_reclaim,
    worker_id_new,
    workers_lost,
)
from kshare.core.models import WorkerLease
from kshare.outbox.models import OutboxMessage
from kshare.outbox.tests.factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def _running(worker_ids: list[str], *, started: datetime) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        started_at=started,
        worker_ids=worker_ids,
        task_path="kshare.outbox.tasks.outbox_tick_task",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
    )


def _status(row: DBTaskResult) -> str:
    row.refresh_from_db()
    return row.status


def test_a_worker_id_names_host_and_process_and_fits_the_backend():
    first, second = worker_id_new(), worker_id_new()
    assert first != second
    assert len(first) <= 64
    assert first.split(":")[1] == second.split(":")[1]  # the same process


def test_renewing_creates_the_lease_then_moves_its_heartbeat():
    lease_renew(worker_id="w1", now=NOW)
    lease_renew(worker_id="w1", now=NOW + timedelta(seconds=15))
    [lease] = WorkerLease.objects.all()
    assert (lease.worker_id, lease.heartbeat_at, lease.lost_at) == (
        "w1",
        NOW + timedelta(seconds=15),
        None,
    )
    lease_end(worker_id="w1")
    assert WorkerLease.objects.count() == 0


def test_a_dead_workers_running_task_is_queued_again_and_a_live_ones_is_left(settings):
    settings.KSHARE_WORKER_LEASE_SECONDS = 60
    lease_renew(worker_id="dead", now=NOW - timedelta(seconds=61))
    lease_renew(worker_id="alive", now=NOW - timedelta(seconds=10))
    started = NOW - timedelta(minutes=5)
    dead = _running(["dead"], started=started)
    alive = _running(["alive"], started=started)
    # An earlier worker died, the task was taken back, and a live one runs it now.
    retaken = _running(["dead", "alive"], started=started)

    result = leases_reclaim(now=NOW)

    assert (result.requeued, result.failed, result.lost_workers) == (1, 0, ("dead",))
    assert (_status(dead), _status(alive), _status(retaken)) == ("READY", "RUNNING", "RUNNING")
    # Ready means ready now: the worker's query finds it.
    assert list(DBTaskResult.objects.ready().values_list("pk", flat=True)) == [dead.pk]
    assert WorkerLease.objects.get(worker_id="dead").lost_at == NOW


def test_a_task_of_a_worker_without_a_lease_is_taken_back_once_a_lease_period_has_passed():
    old = _running(["manage-db-worker"], started=NOW - LEASE - timedelta(seconds=1))
    recent = _running(["manage-db-worker"], started=NOW - LEASE + timedelta(seconds=1))
    assert leases_reclaim(now=NOW).requeued == 1
    assert (_status(old), _status(recent)) == ("READY", "RUNNING")


def test_a_task_that_lost_its_worker_three_times_fails_with_the_reason():
    row = _running(["a", "b", "c"], started=NOW - timedelta(hours=1))
    assert TASK_MAX_LOST == 3
    assert (leases_reclaim(now=NOW).requeued, _status(row)) == (0, "FAILED")
    row.refresh_from_db()
    assert (row.exception_class_path, row.finished_at) == ("kshare.core.leases.WorkerLost", NOW)
    assert row.traceback == (
        "The worker running this task stopped 3 times (killed, out of memory, or its machine "
        "went away): a, b, c. It is not run again."
    )


def test_lost_workers_are_announced_once_after_the_commit(django_capture_on_commit_callbacks):
    heard = []

    def listener(*, worker_ids, **kwargs):
        heard.append(worker_ids)

    workers_lost.connect(listener)
    try:
        lease_renew(worker_id="dead", now=NOW - timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            leases_reclaim(now=NOW)
            assert heard == []  # not before the commit
        with django_capture_on_commit_callbacks(execute=True):
            leases_reclaim(now=NOW + timedelta(seconds=30))  # another worker, later
    finally:
        workers_lost.disconnect(listener)
    assert (len(callbacks), heard) == (1, [("dead",)])


def test_the_outbox_sends_again_at_once_what_a_lost_worker_was_sending(
    django_capture_on_commit_callbacks,
):
    lease_renew(worker_id="dead", now=NOW - timedelta(minutes=2))
    lost = OutboxMessageFactory(
        status=OutboxMessage.Status.SENDING,
        claimed_at=NOW - timedelta(minutes=2),
        claimed_by="dead",
        attempts=0,
    )
    other = OutboxMessageFactory(
        status=OutboxMessage.Status.SENDING, claimed_at=NOW - timedelta(minutes=2), attempts=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        leases_reclaim(now=NOW)
    lost.refresh_from_db()
    other.refresh_from_db()
    # Queued again (one attempt counted) with a new task: sent (the immediate task backend).
    assert (lost.status, lost.attempts, lost.last_error) == (
        "sent",
        2,
        "The worker stopped while sending (its lease expired).",
    )
    assert [m.to for m in mail.outbox] == [lost.to]
    # Claimed outside a leased worker: waits for the staleness limit (outbox_tick).
    assert (other.status, other.attempts) == ("sending", 0)


def test_a_worker_never_takes_itself_for_dead():
    # Its heartbeat waited for the database lock longer than the lease: it is still running.
    lease_renew(worker_id="me", now=NOW - timedelta(minutes=2))
    mine = _running(["me"], started=NOW - timedelta(minutes=5))
    result = leases_reclaim(now=NOW, by="me")
    assert (result.requeued, result.lost_workers, _status(mine)) == (0, (), "RUNNING")
    assert WorkerLease.objects.get(worker_id="me").lost_at is None


def test_a_worker_that_outlived_its_lease_takes_it_again(caplog):
    lease_renew(worker_id="slow", now=NOW - timedelta(minutes=2))
    leases_reclaim(now=NOW)
    lease_renew(worker_id="slow", now=NOW + timedelta(seconds=1))
    lease = WorkerLease.objects.get(worker_id="slow")
    assert (lease.heartbeat_at, lease.lost_at) == (NOW + timedelta(seconds=1), None)
    assert "Worker slow outlived its lease; its task may run twice." in caplog.messages


def test_expired_leases_are_kept_a_day():
    lease_renew(worker_id="yesterday", now=NOW - timedelta(days=1, seconds=1))
    lease_renew(worker_id="today", now=NOW - timedelta(hours=23))
    leases_reclaim(now=NOW)
    assert list(WorkerLease.objects.values_list("worker_id", flat=True)) == ["today"]


def test_a_short_lease_is_warned_about(settings):
    settings.KSHARE_WORKER_LEASE_SECONDS = 10
    [warning] = check_lease_seconds()
    assert isinstance(warning, Warning)
    assert (warning.id, warning.msg) == (
        "kshare.W040",
        "KSHARE_WORKER_LEASE_SECONDS is 10: a worker that is only slow (a busy database, a long "
        "pause) would be taken for dead and its running task run twice.",
    )
    settings.KSHARE_WORKER_LEASE_SECONDS = 30
    assert check_lease_seconds() == []
