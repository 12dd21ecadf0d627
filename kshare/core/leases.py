"""Worker leases: tasks that a dead worker left RUNNING are taken back.

django-tasks-db marks a task row RUNNING when a worker claims it and SUCCESSFUL or FAILED when
the task returns; a worker killed in between (SIGKILL, out of memory, the machine gone) leaves
the row RUNNING for ever, and the backend never looks at it again. So every ``kshare worker``
holds a *lease*: a ``WorkerLease`` row whose ``heartbeat_at`` a thread of the worker renews
every quarter of ``KSHARE_WORKER_LEASE_SECONDS``, and the worker runs its tasks under the
lease's worker id (the last entry of a task row's ``worker_ids``).

The same thread takes back what dead workers left (``leases_reclaim``): a RUNNING row whose
worker has no live lease (none renewed within the lease period) and that started more than a
lease period ago goes back to READY and runs again, on whichever worker takes it first. A task
that has lost its worker ``TASK_MAX_LOST`` times is failed instead (``WorkerLost``): something
in it kills workers, and running it again would kill the next one.

A re-run task must be harmless when its first run did part of the work, and kshare's are: each
step is a conditional UPDATE on a row (an invitation's mail marker, an outbox row's status), so
the second run does only what the first did not. "No live lease" can also mean a worker that was
frozen longer than its lease and wakes up; it then finds its own row gone, makes a new one, and
its task and the re-run one race for the same row claims — one wins each.

Workers whose lease expired are announced once with ``workers_lost`` (on commit), so the apps
that keep their own claims (the outbox's *sending* rows) take back at once what those workers
held instead of waiting for their own staleness limit.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import close_old_connections, connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kshare.core.models import WorkerLease

logger = logging.getLogger(__name__)

# A task whose worker died this many times is failed rather than run again.
TASK_MAX_LOST = 3
# Expired leases are kept this long (admin: who ran, who died), then deleted.
LEASES_KEPT = timedelta(days=1)
# Sent on commit with ``worker_ids``: the workers whose lease was just found expired.
workers_lost = Signal()

_current_worker_id = ""


class WorkerLost(Exception):
    """Recorded as the error of a task failed because its workers kept dying."""


@dataclass(frozen=True)
class ReclaimResult:
    requeued: int
    failed: int
    lost_workers: tuple[str, ...]


def lease_period() -> timedelta:
    return timedelta(seconds=settings.KSHARE_WORKER_LEASE_SECONDS)


def current_worker_id() -> str:
    """The lease id of the worker this process runs, or "" outside ``kshare worker``."""
    return _current_worker_id


def worker_id_new() -> str:
    """host:pid:random, at most 64 characters (django-tasks-db's limit)."""
    suffix = f":{os.getpid()}:{get_random_string(8)}"
    return socket.gethostname()[: 64 - len(suffix)] + suffix


def lease_renew(*, worker_id: str, now: datetime | None = None) -> None:
    """Renew the lease (or take it again after another worker declared it lost)."""
    now = now or timezone.now()
    renewed = WorkerLease.objects.filter(worker_id=worker_id, lost_at__isnull=True).update(
        heartbeat_at=now
    )
    if renewed:
        return
    if WorkerLease.objects.filter(worker_id=worker_id).exists():
        # Frozen (or cut off from the database) longer than the lease: our running task may
        # have been given to another worker, and runs twice. Its row claims keep that harmless.
        logger.warning("Worker %s outlived its lease; its task may run twice.", worker_id)
    WorkerLease.objects.update_or_create(
        worker_id=worker_id,
        defaults={"heartbeat_at": now, "lost_at": None},
        create_defaults={
            "heartbeat_at": now,
            "started_at": now,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def lease_end(*, worker_id: str) -> None:
    """A clean stop: nothing of ours is left running, so the lease goes."""
    WorkerLease.objects.filter(worker_id=worker_id).delete()


def _lost_note(row: DBTaskResult) -> str:
    return (
        f"The worker running this task stopped {len(row.worker_ids)} times (killed, out of "
        f"memory, or its machine went away): {', '.join(row.worker_ids)}. It is not run again."
    )


@transaction.atomic
def leases_reclaim(*, now: datetime | None = None, by: str = "") -> ReclaimResult:
    """Put RUNNING task rows of dead workers back in the queue (or fail them); see the module.

    ``by`` is the reclaiming worker's own id: alive, whatever its lease says (its heartbeat may
    have waited for the database lock). Every step is a conditional UPDATE, so several workers
    reclaiming at once take each row back once, and a task that finishes meanwhile keeps its
    result.
    """
    now = now or timezone.now()
    cutoff = now - lease_period()
    live = set(
        WorkerLease.objects.filter(heartbeat_at__gte=cutoff, lost_at__isnull=True).values_list(
            "worker_id", flat=True
        )
    ) | {by}
    lost = []
    expired = WorkerLease.objects.filter(heartbeat_at__lt=cutoff, lost_at__isnull=True)
    for worker_id in expired.exclude(worker_id=by).values_list("worker_id", flat=True):
        if WorkerLease.objects.filter(
            worker_id=worker_id, heartbeat_at__lt=cutoff, lost_at__isnull=True
        ).update(lost_at=now):
            logger.warning("Worker %s stopped renewing its lease: its tasks go back.", worker_id)
            lost.append(worker_id)
    requeued = failed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    for row in running.only("id", "started_at", "worker_ids", "task_path"):
        owner = row.worker_ids[-1] if row.worker_ids else ""
        if owner in live:
            continue
        mine = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        if len(row.worker_ids) >= TASK_MAX_LOST:
            if mine.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=_lost_note(row),
            ):
                logger.error("Task %s (%s): %s", row.pk, row.task_path, _lost_note(row))
                failed += 1
        elif mine.update(status=TaskResultStatus.READY):
            logger.warning(
                "Task %s (%s) lost its worker %s: queued again.", row.pk, row.task_path, owner
            )
            requeued += 1
    WorkerLease.objects.filter(heartbeat_at__lt=now - LEASES_KEPT).delete()
    if lost:
        transaction.on_commit(partial(_announce_lost, tuple(lost)))
    return ReclaimResult(requeued=requeued, failed=failed, lost_workers=tuple(lost))


def _announce_lost(worker_ids: tuple[str, ...]) -> None:
    # One receiver failing must not keep the others from their work (and each has a fallback:
    # the outbox and webhooks take back stale claims after STALE_AFTER anyway).
    for receiver, answer in workers_lost.send_robust(sender=WorkerLease, worker_ids=worker_ids):
        if isinstance(answer, Exception):
            logger.error("%s failed on lost workers %s: %r", receiver, worker_ids, answer)


class LeaseKeeper(threading.Thread):
    """Renews this worker's lease and takes back dead workers' tasks, until stopped."""

    def __init__(self, *, worker_id: str, interval: float) -> None:
        super().__init__(name="lease", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.stopped = threading.Event()

    def beat(self) -> None:
        try:
            close_old_connections()
            lease_renew(worker_id=self.worker_id)
            leases_reclaim(by=self.worker_id)
        except Exception:
            # A database hiccup must not stop the heartbeat: the next beat tries again.
            logger.exception("Worker %s could not renew its lease", self.worker_id)
        finally:
            connection.close()  # the thread's own connection, not left open between beats

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.beat()

    def stop(self, timeout: float | None = 5) -> None:
        """Stop beating and give the lease up (a clean stop leaves nothing running)."""
        self.stopped.set()
        self.join(timeout)
        try:
            lease_end(worker_id=self.worker_id)
        except Exception:
            logger.exception("Worker %s could not give up its lease", self.worker_id)
        finally:
            connection.close()


def lease_start(*, worker_id: str | None = None) -> LeaseKeeper:
    """Take a lease for this process's worker, take back dead workers' tasks, start beating.

    The first renewal and reclaim happen before it returns, so a worker that starts after a
    crash picks the crashed one's tasks up (once the lease has expired) before anything else.
    """
    global _current_worker_id
    worker_id = worker_id or worker_id_new()
    _current_worker_id = worker_id
    keeper = LeaseKeeper(worker_id=worker_id, interval=lease_period().total_seconds() / 4)
    lease_renew(worker_id=worker_id)
    keeper.beat()
    keeper.start()
    return keeper


# SQLite makes a writer wait up to 20 s for the lock (the busy timeout), and a heartbeat is a
# write: a lease much shorter than that would expire on a busy but healthy worker.
LEASE_SECONDS_SANE = 30


@register(Tags.compatibility)
def check_lease_seconds(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    seconds = settings.KSHARE_WORKER_LEASE_SECONDS
    if seconds >= LEASE_SECONDS_SANE:
        return []
    return [
        Warning(
            f"KSHARE_WORKER_LEASE_SECONDS is {seconds}: a worker that is only slow (a busy "
            "database, a long pause) would be taken for dead and its running task run twice.",
            hint=f"Use at least {LEASE_SECONDS_SANE} (the default is 60).",
            id="kshare.W040",
        )
    ]
