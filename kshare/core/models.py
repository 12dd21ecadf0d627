from __future__ import annotations

from django.db import models
from django.utils import timezone


class ClaimedItem(models.Model):
    """An item of a claim/retry queue (``kshare.core.queue``): an outbox mail, a webhook delivery.

    Abstract: each app keeps its own table with these columns (the fields both had before the
    queue moved here, so the tables did not change).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The lease id of the worker sending it (kshare.core.leases); empty outside a worker.
    claimed_by = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True


class ClockClaim(models.Model):
    """A periodic task enqueued for one period by one worker's clock (``kshare.core.clock``).

    Every worker runs a clock; the unique constraint lets exactly one of them enqueue each task
    per period (the first to insert the row), however many workers run, on SQLite and PostgreSQL
    alike. The rows also tell who ran what and when; the clock deletes them after a day.
    """

    task = models.CharField(max_length=200, help_text="The task's dotted path.")
    period_start = models.DateTimeField(
        help_text="The start of the period: a multiple of KSHARE_TICK_SECONDS since the epoch."
    )
    claimed_by = models.CharField(max_length=200, help_text="host:pid of the worker.")
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The table keeps the name it had in ``web`` (moved here as state only).
        db_table = "web_clockclaim"
        constraints = [
            models.UniqueConstraint(fields=["task", "period_start"], name="clock_claim_once")
        ]
        indexes = [models.Index(fields=["period_start"], name="clock_claim_period")]

    def __str__(self) -> str:
        return f"{self.task} at {self.period_start:%Y-%m-%d %H:%M:%S} by {self.claimed_by}"


class WorkerLease(models.Model):
    """A running ``kshare worker``, renewing ``heartbeat_at`` while it lives (``core.leases``).

    A task row left RUNNING by a worker whose lease has expired (killed, out of memory, machine
    gone) is put back in the queue by any other worker. Rows of workers that stopped cleanly are
    deleted at exit; expired ones are kept a day to look back at.
    """

    worker_id = models.CharField(max_length=64, unique=True, help_text="host:pid:random")
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, db_index=True)
    lost_at = models.DateTimeField(
        null=True, blank=True, help_text="When another worker found the lease expired."
    )

    class Meta:
        db_table = "web_workerlease"
        ordering = ["-heartbeat_at"]

    def __str__(self) -> str:
        return self.worker_id
