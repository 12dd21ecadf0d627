"""The recommender's cache: per-person results of the last training run, and the runs.

Serving reads only these tables (and filters what changed since), so a page never retrains.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TrainingRun(models.Model):
    """One training of the hybrid: when, how big, how long, with which weights."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    reason = models.CharField(max_length=100, blank=True, help_text="Why it ran.")
    people = models.PositiveIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    recommendations = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    # Model names and blend weights, per-step timings, the fallback used if any.
    details = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Training {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class Recommendation(models.Model):
    """A person's n-th recommended upcoming session or recording, with the reason shown."""

    class Kind(models.TextChoices):
        SESSION = "session", "Upcoming session"
        RECORDING = "recording", "Recording"

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommendations"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    rank = models.PositiveSmallIntegerField()
    session = models.ForeignKey(
        "talks.Session", on_delete=models.CASCADE, related_name="recommendations"
    )
    score = models.FloatField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["person", "kind", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "rank"], name="recommendation_person_kind_rank"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} #{self.rank} {self.get_kind_display().lower()}: {self.session}"


class SimilarSession(models.Model):
    """A session's nearest neighbours by content and co-attendance, from the last training:
    "similar to 'X' you attended" and suggested invitees read these."""

    session = models.ForeignKey("talks.Session", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("talks.Session", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        ordering = ["session", "-score", "other"]
        constraints = [
            models.UniqueConstraint(fields=["session", "other"], name="similar_session_pair")
        ]

    def __str__(self) -> str:
        return f"{self.session} ~ {self.other} ({self.score:.2f})"


class TrainingState(models.Model):
    """One row: whether something changed in bulk since the last run (``kshare demo``, a CSV
    import), so the clock's next tick retrains instead of waiting for the nightly run."""

    stale_since = models.DateTimeField(null=True, blank=True)
    stale_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "training state"

    def __str__(self) -> str:
        return f"Stale since {self.stale_since}" if self.stale_since else "Up to date"


class ExpertIndex(models.Model):
    """The host finder (``engine.experts.ExpertFinder``) fitted on the organisation after a
    training run, stored as numpy arrays in an npz (``experts_adapter.experts_dumps``, read back
    with ``allow_pickle=False``): "who could host this" is served from it (``experts_adapter``).
    Only the newest is kept."""

    created_at = models.DateTimeField(default=timezone.now)
    run = models.ForeignKey(
        TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    people = models.PositiveIntegerField(default=0)
    talks = models.PositiveIntegerField(default=0)
    data = models.BinaryField(editable=False)
    # Fit time, size, whether the re-ranker was tuned.
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "host finder index"
        verbose_name_plural = "host finder indexes"

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"Host finder {when} ({self.people} people, {self.talks} talks)"
