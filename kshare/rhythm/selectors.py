"""Reading rhythm events: occurrences in a window, with cancelled and moved occurrences applied."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.rrule import rrulestr
from django.db.models import Q

from kshare.rhythm.models import RhythmEvent, RhythmException


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


def rhythm_series_starts(
    *, event: RhythmEvent, after: datetime, before: datetime
) -> list[datetime]:
    """Series starts (UTC, exceptions not applied) of occurrences that overlap [after, before)."""
    tz = zoneinfo.ZoneInfo(event.timezone)
    dtstart = event.starts.astimezone(tz)
    rule = rrulestr(event.rrule, dtstart=dtstart)
    duration = timedelta(minutes=event.duration_minutes)
    # dateutil compares in the dtstart's zone; the window is widened by the duration so that an
    # occurrence that started before ``after`` but is still running is included.
    starts = rule.between((after - duration).astimezone(tz), before.astimezone(tz), inc=True)
    return [s.astimezone(UTC) for s in starts if s + duration > after and s < before]


def rhythm_occurrences(
    *,
    after: datetime,
    before: datetime,
    events: Iterable[RhythmEvent] | None = None,
    team_ids: Iterable[int] | None = None,
) -> list[Occurrence]:
    """Occurrences overlapping [after, before), sorted by start.

    ``team_ids`` given: company-wide events plus those teams' events; otherwise all events.
    Cancelled occurrences are left out; moved ones appear at their new time (also when the move
    brings them into the window from outside it).
    """
    if events is None:
        queryset = RhythmEvent.objects.all()
        if team_ids is not None:
            queryset = queryset.filter(Q(team__isnull=True) | Q(team_id__in=list(team_ids)))
        events = list(queryset)
    events = list(events)
    if not events:
        return []
    exceptions: dict[tuple[int, datetime], RhythmException] = {
        (exc.event_id, exc.original_start): exc
        for exc in RhythmException.objects.filter(event__in=events)
    }
    found: list[Occurrence] = []
    for event in events:
        duration = timedelta(minutes=event.duration_minutes)
        for start in rhythm_series_starts(event=event, after=after, before=before):
            exc = exceptions.get((event.pk, start))
            if exc is None:
                found.append(
                    Occurrence(event.pk, event.name, start, start + duration, event.team_id, start)
                )
    for exc in exceptions.values():
        if exc.cancelled or exc.new_start is None or exc.new_end is None:
            continue
        if exc.new_end > after and exc.new_start < before:
            event = next(e for e in events if e.pk == exc.event_id)
            found.append(
                Occurrence(
                    event.pk,
                    event.name,
                    exc.new_start,
                    exc.new_end,
                    event.team_id,
                    exc.original_start,
                    moved=True,
                )
            )
    found.sort(key=lambda occurrence: (occurrence.start, occurrence.name))
    return found
