"""Reading rhythm events: occurrences in a window, with cancelled and moved occurrences applied."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.rrule import rrule
from django.db.models import Q

from kshare.core import recurrence
from kshare.people.offices import office_region
from kshare.scheduling.rhythm.daysoff import ClosureRule, closure_dates, closure_rules, days_off
from kshare.scheduling.rhythm.models import RhythmEvent, RhythmException


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of a rhythm event, in UTC."""

    event_id: int
    name: str
    start: datetime
    end: datetime
    team_id: int | None
    original_start: datetime
    moved: bool = False
    cancelled: bool = False
    note: str = ""


def rhythm_rule(event: RhythmEvent) -> rrule | None:
    """The event's dateutil rule in its own timezone (so 09:30 stays 09:30 across DST), or None
    for a rule that cannot be read (written past the services, e.g. in the admin)."""
    try:
        tz = recurrence.timezone_get(event.timezone)
        normalised = recurrence.rrule_normalise(event.rrule, tz=tz)
        return recurrence.rule_build(normalised, dtstart=event.starts.astimezone(tz))
    except recurrence.RecurrenceError:
        return None


def rhythm_is_occurrence(*, event: RhythmEvent, start: datetime) -> bool:
    """Whether ``start`` (aware) is a start of the series (exceptions not applied)."""
    if start.tzinfo is None:
        return False
    try:
        start = start.astimezone(UTC)
        return start in rhythm_series_starts(
            event=event, after=start, before=start + timedelta(seconds=1)
        )
    except OverflowError:  # year 1 or 9999: no rhythm event reaches that far
        return False


def rhythm_series_starts(
    *, event: RhythmEvent, after: datetime, before: datetime
) -> list[datetime]:
    """Series starts (UTC, exceptions not applied) of occurrences that overlap [after, before)."""
    rule = rhythm_rule(event)
    if rule is None:
        return []
    tz = zoneinfo.ZoneInfo(event.timezone)
    duration = timedelta(minutes=event.duration_minutes)
    # dateutil compares in the dtstart's zone; the window is widened by the duration so that an
    # occurrence that started before ``after`` but is still running is included.
    starts = rule.between((after - duration).astimezone(tz), before.astimezone(tz), inc=True)
    return [s.astimezone(UTC) for s in starts if s + duration > after and s < before]


def rhythm_holiday_skips(
    *,
    event: RhythmEvent,
    starts: list[datetime],
    rules: list[ClosureRule] | None = None,
) -> dict[datetime, str]:
    """The series starts of ``event`` that fall on a day off, with the day's name: none unless
    the event skips holidays; else those on a company closure day or a public holiday of the
    event's country/region, by the date in the event's own timezone. ``rules``: the closure days
    already read (else one query)."""
    if not event.skip_holidays or not starts:
        return {}
    tz = zoneinfo.ZoneInfo(event.timezone)
    days = [start.astimezone(tz).date() for start in starts]
    first, last = min(days), max(days)
    closures = closure_dates(closure_rules() if rules is None else rules, first=first, last=last)
    region = office_region(event.holiday_country, event.holiday_subdivision)
    off = days_off(first=first, last=last, region=region, closures=closures)
    return {start: off[day] for start, day in zip(starts, days, strict=True) if day in off}


def rhythm_occurrences(
    *,
    after: datetime,
    before: datetime,
    events: Iterable[RhythmEvent] | None = None,
    team_ids: Iterable[int] | None = None,
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """Occurrences overlapping [after, before), sorted by start.

    ``team_ids`` given: company-wide events plus those teams' events; otherwise all events.
    Cancelled occurrences are left out (``include_cancelled``: kept, marked ``cancelled``, for
    calendars that show them struck through); moved ones appear at their new time (also when
    the move brings them into the window from outside it). An event that skips holidays has no
    occurrence on a day off (``rhythm_holiday_skips``; with ``include_cancelled`` it is kept as
    cancelled, the holiday's name as its note).
    """
    if events is None:
        queryset = RhythmEvent.objects.all()
        if team_ids is not None:
            queryset = queryset.filter(Q(team__isnull=True) | Q(team_id__in=list(team_ids)))
        events = list(queryset)
    events = list(events)
    if not events:
        return []
    by_id = {event.pk: event for event in events}
    longest = timedelta(minutes=max(event.duration_minutes for event in events))
    # Only the exceptions that can touch the window: its series starts, or its moved times.
    nearby = Q(original_start__gt=after - longest, original_start__lt=before) | Q(
        new_start__lt=before, new_end__gt=after
    )
    exceptions: dict[tuple[int, datetime], RhythmException] = {
        (exc.event_id, exc.original_start): exc
        for exc in RhythmException.objects.filter(nearby, event__in=events)
    }
    found: list[Occurrence] = []
    rules = closure_rules() if any(event.skip_holidays for event in events) else []
    for event in events:
        duration = timedelta(minutes=event.duration_minutes)
        starts = rhythm_series_starts(event=event, after=after, before=before)
        skipped = rhythm_holiday_skips(event=event, starts=starts, rules=rules)
        for start in starts:
            exc = exceptions.get((event.pk, start))
            if start in skipped and (exc is None or exc.cancelled):
                if include_cancelled:
                    found.append(
                        Occurrence(
                            event.pk,
                            event.name,
                            start,
                            start + duration,
                            event.team_id,
                            start,
                            cancelled=True,
                            note=skipped[start],
                        )
                    )
                continue
            if exc is None or (exc.cancelled and include_cancelled):
                found.append(
                    Occurrence(
                        event.pk,
                        event.name,
                        start,
                        start + duration,
                        event.team_id,
                        start,
                        cancelled=exc is not None,
                        note=exc.note if exc is not None else "",
                    )
                )
    for exc in exceptions.values():
        if exc.cancelled or exc.new_start is None or exc.new_end is None:
            continue
        if exc.new_end > after and exc.new_start < before:
            event = by_id[exc.event_id]
            found.append(
                Occurrence(
                    event.pk,
                    event.name,
                    exc.new_start,
                    exc.new_end,
                    event.team_id,
                    exc.original_start,
                    moved=True,
                    note=exc.note,
                )
            )
    found.sort(key=lambda occurrence: (occurrence.start, occurrence.name))
    return found


@dataclass(frozen=True, slots=True)
class ScheduledOccurrence:
    """One occurrence of a series as organisers manage it: also the cancelled ones."""

    original_start: datetime
    start: datetime
    end: datetime
    cancelled: bool = False
    moved: bool = False
    note: str = ""
    holiday: bool = False  # skipped: a closure day or public holiday (``note`` names it)

    @property
    def stamp(self) -> str:
        """The original start as a URL-safe UTC stamp (``20260302T083000Z``)."""
        return occurrence_stamp(self.original_start)


def occurrence_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def occurrence_from_stamp(stamp: str) -> datetime | None:
    """The UTC datetime of a stamp, or None for anything else."""
    if len(stamp) != 16:
        return None
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def rhythm_event_schedule(
    *, event: RhythmEvent, after: datetime, limit: int = 8
) -> list[ScheduledOccurrence]:
    """The next ``limit`` occurrences of the series that end after ``after``, in series order,
    with their exceptions (cancelled ones included, moved ones at their new time)."""
    rule = rhythm_rule(event)
    if rule is None:
        return []
    duration = timedelta(minutes=event.duration_minutes)
    starts = recurrence.occurrences_after(rule, after=after - duration, limit=limit + 1)
    starts = [s.astimezone(UTC) for s in starts if s + duration > after][:limit]
    exceptions = {
        exc.original_start: exc
        for exc in RhythmException.objects.filter(event=event, original_start__in=starts)
    }
    skipped = rhythm_holiday_skips(event=event, starts=starts)
    found = []
    for start in starts:
        exc = exceptions.get(start)
        if start in skipped and (exc is None or exc.cancelled):
            # Skipped for the holiday; a move made by hand still wins.
            found.append(
                ScheduledOccurrence(
                    start,
                    start,
                    start + duration,
                    cancelled=True,
                    note=skipped[start],
                    holiday=True,
                )
            )
        elif exc is None:
            found.append(ScheduledOccurrence(start, start, start + duration))
        elif exc.cancelled:
            found.append(
                ScheduledOccurrence(start, start, start + duration, cancelled=True, note=exc.note)
            )
        else:
            assert exc.new_start is not None and exc.new_end is not None
            found.append(
                ScheduledOccurrence(start, exc.new_start, exc.new_end, moved=True, note=exc.note)
            )
    return found


def rhythm_can_manage(*, person: object) -> bool:
    """Organisers and admins create, change and delete rhythm events."""
    return bool(
        getattr(person, "is_authenticated", False)
        and getattr(person, "is_active", False)
        and getattr(person, "is_organiser", False)
    )


# How far the feeds list skipped holidays as EXDATEs: a month back, thirteen months ahead (a
# subscribed calendar refreshes long before the end; the series itself is unbounded).
HOLIDAY_EXDATES_BEFORE = timedelta(days=31)
HOLIDAY_EXDATES_AFTER = timedelta(days=400)


def rhythm_holiday_exdates(*, event: RhythmEvent, now: datetime) -> list[datetime]:
    """Series starts (UTC) skipped for holidays around ``now``, for the feed's EXDATE."""
    if not event.skip_holidays:
        return []
    starts = rhythm_series_starts(
        event=event, after=now - HOLIDAY_EXDATES_BEFORE, before=now + HOLIDAY_EXDATES_AFTER
    )
    return sorted(rhythm_holiday_skips(event=event, starts=starts))
