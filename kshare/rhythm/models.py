from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now


class RhythmEvent(models.Model):
    """A recurring information-sharing event (Weekly Huddle, Figure Friday, a team kick-off).

    ``starts`` is the first occurrence (stored in UTC); the series recurs by ``rrule`` (an RFC 5545
    RRULE value without the ``RRULE:`` prefix) in the wall-clock time of ``timezone``, so a
    09:30 huddle stays at 09:30 across daylight-saving changes. ``team`` empty = company-wide.
    """

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    rrule = models.CharField("recurrence rule", max_length=500)
    starts = models.DateTimeField(help_text="The first occurrence.")
    duration_minutes = models.PositiveIntegerField(default=30)
    timezone = models.CharField(max_length=64, default="UTC")
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rhythm_events",
        help_text="Empty: the whole company.",
    )
    location = models.CharField(max_length=200, blank=True)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1), name="rhythm_duration_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RhythmException(models.Model):
    """One occurrence cancelled (EXDATE) or moved (RECURRENCE-ID override), the series untouched."""

    event = models.ForeignKey(RhythmEvent, on_delete=models.CASCADE, related_name="exceptions")
    original_start = models.DateTimeField(help_text="The occurrence's start in the series (UTC).")
    cancelled = models.BooleanField(default=False)
    new_start = models.DateTimeField(null=True, blank=True)
    new_end = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["original_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "original_start"], name="rhythm_exception_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled=True)
                | (
                    models.Q(new_start__isnull=False)
                    & models.Q(new_end__isnull=False)
                    & models.Q(new_end__gt=models.F("new_start"))
                ),
                name="rhythm_exception_moved_has_times",
            ),
        ]

    def __str__(self) -> str:
        what = "cancelled" if self.cancelled else "moved"
        return f"{self.event} {self.original_start:%Y-%m-%d %H:%M} {what}"
