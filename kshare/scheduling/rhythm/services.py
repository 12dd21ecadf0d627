"""Writing rhythm events: the series and its exceptions (one occurrence cancelled or moved).

Every change that a calendar program would see increments ``RhythmEvent.sequence`` (iCalendar
SEQUENCE) and moves ``updated_at`` (the DTSTAMP), so subscribed calendars replace the old version.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NotRequired, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.dateformat import format as date_format
from django.utils.timezone import now
from django.utils.translation import gettext as _

from kshare.core import recurrence
from kshare.core.language import error_text
from kshare.people.models import Person, Team
from kshare.people.offices import SUPPORTED, office_region_error
from kshare.scheduling.rhythm.models import ClosureDay, RhythmEvent, RhythmException
from kshare.scheduling.rhythm.selectors import rhythm_is_occurrence

MAX_DURATION_MINUTES = 24 * 60
MAX_MOVED_MINUTES = 24 * 60
MAX_MOVE = timedelta(days=366)
FIRST_YEAR, LAST_YEAR = 1970, 2200
NAME_MAX_LENGTH = 120


def _series_fields(
    *,
    name: str,
    rrule: str,
    start_date: date,
    start_time: time,
    timezone: str,
    duration_minutes: int,
) -> tuple[str, str, datetime]:
    """Checked name, normalised rule and first occurrence (UTC); ValidationError per field."""
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("Give the event a name.")
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = _("Keep the name under %(max)d characters.") % {"max": NAME_MAX_LENGTH}
    if not isinstance(duration_minutes, int) or duration_minutes <= 0:
        errors["duration_minutes"] = _("The duration must be at least one minute.")
    elif duration_minutes > MAX_DURATION_MINUTES:
        errors["duration_minutes"] = _("A rhythm event lasts at most 24 hours (1,440 minutes).")
    if not FIRST_YEAR <= start_date.year <= LAST_YEAR:
        errors["start_date"] = _("Choose a first day between %(first)d and %(last)d.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
        raise ValidationError(errors)
    try:
        tz = recurrence.timezone_get(timezone)
    except recurrence.RecurrenceError as exc:
        errors["timezone"] = error_text(exc)
        raise ValidationError(errors) from None
    try:
        normalised = recurrence.rrule_normalise(rrule, tz=tz)
    except recurrence.RecurrenceError as exc:
        errors["rrule"] = error_text(exc)
        raise ValidationError(errors) from None
    try:
        dtstart = recurrence.local_start(day=start_date, at=start_time, tz=tz)
    except recurrence.RecurrenceError as exc:
        errors["start_time"] = error_text(exc)
        raise ValidationError(errors) from None
    try:
        rule = recurrence.rule_build(normalised, dtstart=dtstart)
        first = recurrence.first_occurrence(rule, dtstart=dtstart)
    except recurrence.RecurrenceError as exc:
        errors["rrule"] = error_text(exc)
    if errors:
        raise ValidationError(errors)
    # The stored start is the first real occurrence, so that DTSTART agrees with the RRULE
    # (RFC 5545 counts DTSTART as an occurrence; dateutil does not when it does not match).
    return name, normalised, first.astimezone(UTC)


def _holidays_check(*, country: str, subdivision: str) -> None:
    error = office_region_error(country, subdivision)
    if error:
        field = "holiday_subdivision" if country in SUPPORTED else "holiday_country"
        raise ValidationError({field: error})


@transaction.atomic
def closure_day_add(*, month: int, day: int, name: str, year: int | None = None) -> ClosureDay:
    """Close the company on ``day``/``month`` (every year, or in ``year`` only). Raises
    ValidationError for a day that does not exist or is a closure day already."""
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": _("Name the day, e.g. “Company retreat”.")})
    closure = ClosureDay(month=month, day=day, year=year, name=name)
    closure.full_clean()  # the day exists; unique per date (or per day of every year)
    closure.save()
    return closure


def closure_day_delete(*, closure: ClosureDay) -> None:
    """The company works on that day again."""
    closure.delete()


class SeriesFields(TypedDict):
    """What a series says, as ``rhythm_event_create`` and ``rhythm_event_update`` take it."""

    name: str
    rrule: str
    start_date: date
    start_time: time
    timezone: str
    duration_minutes: int
    team: NotRequired[Team | None]
    description: NotRequired[str]
    location: NotRequired[str]
    skip_holidays: NotRequired[bool]
    holiday_country: NotRequired[str]
    holiday_subdivision: NotRequired[str]


def _series_values(fields: SeriesFields) -> dict[str, Any]:
    """The checked model fields of a series (ValidationError keyed by field): the first
    occurrence of the rule on or after ``start_date`` at ``start_time`` in ``timezone``."""
    country = fields.get("holiday_country", "")
    subdivision = fields.get("holiday_subdivision", "")
    _holidays_check(country=country, subdivision=subdivision)
    name, normalised, first = _series_fields(
        name=fields["name"],
        rrule=fields["rrule"],
        start_date=fields["start_date"],
        start_time=fields["start_time"],
        timezone=fields["timezone"],
        duration_minutes=fields["duration_minutes"],
    )
    team = fields.get("team")
    return {
        "name": name,
        "rrule": normalised,
        "starts": first,
        "duration_minutes": fields["duration_minutes"],
        "timezone": fields["timezone"],
        "team_id": team.pk if team else None,
        "description": fields.get("description", "").strip(),
        "location": fields.get("location", "").strip(),
        "skip_holidays": fields.get("skip_holidays", False),
        "holiday_country": country,
        "holiday_subdivision": subdivision,
    }


@transaction.atomic
def rhythm_event_create(*, by: Person | None, **fields: Unpack[SeriesFields]) -> RhythmEvent:
    """Create a series that starts at the first occurrence of ``rrule`` on or after
    ``start_date`` at ``start_time`` wall-clock time in ``timezone``.

    Raises ValidationError (keyed by field) for a bad name, rule, timezone, time or duration,
    or a holiday calendar (``holiday_country``/``holiday_subdivision``) that does not exist.
    ``skip_holidays``: no occurrence on closure days and those public holidays.
    """
    return RhythmEvent.objects.create(**_series_values(fields), created_by=by)


@transaction.atomic
def rhythm_event_update(*, event: RhythmEvent, **fields: Unpack[SeriesFields]) -> int:
    """Change the series; returns how many exceptions were dropped.

    A cancelled or moved occurrence that is no longer an occurrence of the changed series is
    dropped (a calendar program would not know which occurrence it belongs to). The sequence
    goes up by one when anything changed (skipping holidays changes the feed's EXDATEs too).
    """
    new = _series_values(fields)
    locked = RhythmEvent.objects.select_for_update().get(pk=event.pk)
    if all(getattr(locked, field) == value for field, value in new.items()):
        event.refresh_from_db()
        return 0
    for field, value in new.items():
        setattr(locked, field, value)
    locked.sequence = F("sequence") + 1
    locked.save()
    locked.refresh_from_db()
    dropped = [
        exc.pk
        for exc in locked.exceptions.all()
        if not rhythm_is_occurrence(event=locked, start=exc.original_start)
    ]
    if dropped:
        RhythmException.objects.filter(pk__in=dropped).delete()
    event.refresh_from_db()
    return len(dropped)


@transaction.atomic
def rhythm_event_delete(*, event: RhythmEvent) -> None:
    """Delete the series and its exceptions."""
    event.delete()


def _locked_occurrence(*, event: RhythmEvent, original_start: datetime) -> RhythmEvent:
    locked = RhythmEvent.objects.select_for_update().get(pk=event.pk)
    if not rhythm_is_occurrence(event=locked, start=original_start):
        local = original_start.astimezone(recurrence.timezone_get(locked.timezone))
        raise ValidationError(
            _("%(when)s (%(tz)s) is not an occurrence of “%(name)s”.")
            % {
                "when": date_format(local, "l d F Y, H:i"),
                "tz": locked.timezone,
                "name": locked.name,
            }
        )
    return locked


def _bump(event: RhythmEvent, locked: RhythmEvent) -> None:
    # update() skips auto_now: updated_at is the feed's DTSTAMP and must move with SEQUENCE.
    RhythmEvent.objects.filter(pk=locked.pk).update(sequence=F("sequence") + 1, updated_at=now())
    event.refresh_from_db(fields=["sequence", "updated_at"])


@transaction.atomic
def rhythm_occurrence_cancel(
    *, event: RhythmEvent, original_start: datetime, note: str = ""
) -> RhythmException:
    """Cancel one occurrence (an EXDATE); the series is untouched. Cancelling a cancelled
    occurrence changes nothing; cancelling a moved one cancels it (the move is forgotten)."""
    locked = _locked_occurrence(event=event, original_start=original_start)
    original_start = original_start.astimezone(UTC)
    note = " ".join(note.split())[:200]
    exc = RhythmException.objects.filter(event=locked, original_start=original_start).first()
    if exc is not None and exc.cancelled and exc.note == note:
        return exc
    exc, _created = RhythmException.objects.update_or_create(
        event=locked,
        original_start=original_start,
        defaults={"cancelled": True, "new_start": None, "new_end": None, "note": note},
    )
    _bump(event, locked)
    return exc


@transaction.atomic
def rhythm_occurrence_move(
    *,
    event: RhythmEvent,
    original_start: datetime,
    new_start: datetime,
    new_end: datetime,
    note: str = "",
) -> RhythmException:
    """Move one occurrence (a RECURRENCE-ID override with its own start and end)."""
    if new_start.tzinfo is None or new_end.tzinfo is None:
        raise ValueError("new_start and new_end must be aware datetimes.")
    errors: dict[str, str] = {}
    if new_end <= new_start:
        errors["new_end"] = _("The end must be after the start.")
    elif new_end - new_start > timedelta(minutes=MAX_MOVED_MINUTES):
        errors["new_end"] = _("A rhythm event lasts at most 24 hours.")
    # Aware subtraction works on any date; converting year-1 or year-9999 times to UTC does not.
    if abs(new_start - original_start) > MAX_MOVE:
        errors["new_start"] = _("Move an occurrence by at most a year.")
    if errors:
        raise ValidationError(errors)
    locked = _locked_occurrence(event=event, original_start=original_start)
    original_start = original_start.astimezone(UTC)
    new_start, new_end = new_start.astimezone(UTC), new_end.astimezone(UTC)
    note = " ".join(note.split())[:200]
    usual_end = original_start + timedelta(minutes=locked.duration_minutes)
    if new_start == original_start and new_end == usual_end:
        raise ValidationError(
            {
                "new_start": _(
                    "That is the occurrence's usual time: restore it instead of moving it."
                )
            }
        )
    exc = RhythmException.objects.filter(event=locked, original_start=original_start).first()
    if (
        exc is not None
        and not exc.cancelled
        and (exc.new_start, exc.new_end, exc.note) == (new_start, new_end, note)
    ):
        return exc
    exc, _created = RhythmException.objects.update_or_create(
        event=locked,
        original_start=original_start,
        defaults={"cancelled": False, "new_start": new_start, "new_end": new_end, "note": note},
    )
    _bump(event, locked)
    return exc


@transaction.atomic
def rhythm_occurrence_restore(*, event: RhythmEvent, original_start: datetime) -> bool:
    """Undo a cancel or a move; returns False when the occurrence was neither."""
    locked = RhythmEvent.objects.select_for_update().get(pk=event.pk)
    deleted, _count = RhythmException.objects.filter(
        event=locked, original_start=original_start.astimezone(UTC)
    ).delete()
    if not deleted:
        return False
    _bump(event, locked)
    return True
