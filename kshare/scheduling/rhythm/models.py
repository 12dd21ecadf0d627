from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.dates import MONTHS
from django.utils.timezone import now
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


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
    # Off on holidays: no occurrence on a company closure day (``ClosureDay``) or on a public
    # holiday of ``holiday_country``/``holiday_subdivision`` (``kshare.people.offices``), in the
    # feeds (EXDATE), the slot finder and the organisers' list alike.
    skip_holidays = models.BooleanField(
        "skip holidays",
        default=False,
        help_text="No occurrence on company closure days or the public holidays below.",
    )
    holiday_country = models.CharField(
        "holidays of country",
        max_length=2,
        blank=True,
        help_text="e.g. DE; empty: closure days only.",
    )
    holiday_subdivision = models.CharField(
        "holidays of region", max_length=10, blank=True, help_text="e.g. BY (Bavaria)."
    )
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "rhythm_rhythmevent"
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
        db_table = "rhythm_rhythmexception"
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


class ClosureDay(models.Model):
    """A day the whole company is closed: no slot, cadence slot, reminder or skipping rhythm
    event falls on it, in anybody's timezone. ``year`` empty: every year (24 December); set:
    that year only (a bridge day). Admins and organisers keep the list on /rhythm/closures/;
    the first migration adds 24, 25 and 31 December and 1 January, to delete where the
    company works then."""

    month = models.PositiveSmallIntegerField(
        choices=list(MONTHS.items()),
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    day = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(31)])
    year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2999)],
        help_text="Empty: every year.",
    )
    name = models.CharField(max_length=100)

    class Meta:
        db_table = "rhythm_closureday"
        ordering = ["year", "month", "day", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "day"],
                condition=models.Q(year__isnull=True),
                name="closure_day_yearly_unique",
                violation_error_message=_("That day is a closure day every year already."),
            ),
            models.UniqueConstraint(
                fields=["year", "month", "day"],
                name="closure_day_unique",
                violation_error_message=_("That day is a closure day already."),
            ),
        ]

    def __str__(self) -> str:
        values = {"name": self.name, "day": self.day, "month": MONTHS[self.month]}
        if self.year:
            return gettext("%(name)s (%(day)s %(month)s %(year)s)") % {**values, "year": self.year}
        return gettext("%(name)s (%(day)s %(month)s, every year)") % values

    def clean(self) -> None:
        try:
            date(self.year or 2028, self.month, self.day)  # 2028: a leap year allows 29 February
        except (TypeError, ValueError):
            raise ValidationError({"day": _("That day does not exist in that month.")}) from None
