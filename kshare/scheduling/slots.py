"""The slot finder: the best free times for a session, for people in several timezones.

Two layers. ``slots_search`` (here) is plain data in, plain data out (no database, no Django
settings): candidate starts every ``step`` minutes, each kept when it clashes with nothing busy
and falls inside the working hours of at least one timezone group, then ranked.
``slots_loader.slots_find`` gathers that data for a session, the working hours setting included,
in a fixed number of queries, however many invitees: people are counted per (timezone, team),
so 500 invitees in six timezones cost six working-hours checks per candidate, not 500.

Days off: nobody's working hours fall on a company closure day (``closed``, a date in each
person's own timezone), and people with an office region (``Group.region``, e.g. ``DE-BY``) have
none on its public holidays (``holidays``), so a slot on 6 January fits nobody in Bavaria and
one on 25 December (a default closure day) fits nobody at all.

Ranking, best first: inside everyone's working hours; then the most people whose working hours
it fits; then a slot of the programme's cadence; then slots that leave the lead time for
invitations; then the earliest. The list is spread over days: at most ``per_day`` slots a day,
at least two hours apart, so ten suggestions are not ten 15-minute steps of one afternoon.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from kshare.core.timezones import timezone_or_utc

DEFAULT_WORKING_HOURS = "09:00-17:30"
WORKING_DAYS = frozenset(range(5))  # Monday to Friday, in each person's own timezone
SAME_DAY_GAP = timedelta(hours=2)


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    weekdays: frozenset[int] = WORKING_DAYS


class Group(NamedTuple):
    """People planned for, counted by their timezone and office region (``""``: none)."""

    timezone: str
    region: str = ""


@dataclass
class Slot:
    """A proposed slot (UTC). ``fits`` of ``total`` invitees have it inside their working hours."""

    start: datetime
    end: datetime
    score: float
    fits: int
    total: int
    cadence: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def fits_everyone(self) -> bool:
        return self.fits == self.total


def working_hours_parse(text: str) -> WorkingHours:
    """``"09:00-17:30"`` → WorkingHours; ValueError with a readable message otherwise."""
    try:
        first, last = (part.strip() for part in text.split("-"))
        start, end = time.fromisoformat(first), time.fromisoformat(last)
    except ValueError as exc:
        raise ValueError(f"Working hours look like 09:00-17:30, not “{text}”.") from exc
    if end <= start:
        raise ValueError(f"Working hours must end after they start (“{text}”).")
    return WorkingHours(start, end)


def working_windows(
    *,
    tz: tzinfo,
    after: datetime,
    before: datetime,
    hours: WorkingHours,
    days_off: Collection[date] = (),
) -> list[tuple[datetime, datetime]]:
    """Working-hours intervals (UTC) of ``tz`` overlapping [after, before), day by day, none on
    ``days_off`` (local dates).

    Each day's hours are read as local wall-clock time, so 09:00 stays 09:00 local across a
    daylight-saving change (the UTC instant moves instead).
    """
    day = after.astimezone(tz).date() - timedelta(days=1)
    last = before.astimezone(tz).date() + timedelta(days=1)
    windows = []
    while day <= last:
        if day.weekday() in hours.weekdays and day not in days_off:
            start = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
            end = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
            if end > after and start < before:
                windows.append((start, end))
        day += timedelta(days=1)
    return windows


def _merged(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _ceil(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -(-(moment - epoch) // step)
    return epoch + steps * step


def slots_search(
    *,
    after: datetime,
    before: datetime,
    duration: timedelta,
    groups: Mapping[str, int] | Mapping[Group, int],
    busy: Iterable[tuple[datetime, datetime]] = (),
    cadence_starts: Collection[datetime] = (),
    closed: Collection[date] = (),
    holidays: Mapping[str, Collection[date]] | None = None,
    now: datetime,
    hours: WorkingHours,
    lead_time: timedelta = timedelta(days=14),
    day_tz: tzinfo = UTC,
    limit: int = 10,
    per_day: int = 2,
    step: timedelta = timedelta(minutes=15),
) -> list[Slot]:
    """The best ``limit`` slots of ``duration`` in [after, before), never before ``now``.

    ``groups`` counts people per timezone name, or per ``Group`` (timezone and office region).
    A candidate is kept when it overlaps nothing in ``busy`` and lies inside the working hours
    of at least one group, which have none on the company's ``closed`` days nor on the public
    ``holidays`` of the group's region (region → dates). Days (for ``per_day``) are those of
    ``day_tz``, the organiser's timezone.
    """
    holidays = holidays or {}
    counted = {
        key if isinstance(key, Group) else Group(key): count for key, count in groups.items()
    }
    total = sum(counted.values())
    if not counted:
        # Nobody to plan for: the organiser's own working hours still apply.
        counted = {Group(str(day_tz)): 0}
    first = _ceil(max(after, now), step)
    last = before - duration
    if first > last:
        return []
    windows: list[tuple[int, list[datetime], list[datetime]]] = []
    for group, count in counted.items():
        off = set(closed).union(holidays.get(group.region, ()))
        spans = working_windows(
            tz=timezone_or_utc(group.timezone),
            after=first,
            before=before,
            hours=hours,
            days_off=off,
        )
        windows.append((count, [s for s, _ in spans], [e for _, e in spans]))
    blocked = _merged(busy)
    blocked_starts = [s for s, _ in blocked]
    blocked_ends = [e for _, e in blocked]
    cadence = {c for c in cadence_starts if first <= c <= last}

    candidates: list[tuple[tuple, datetime, int, bool]] = []
    starts = set(cadence)
    moment = first
    while moment <= last:
        starts.add(moment)
        moment += step
    for start in starts:
        end = start + duration
        # Busy intervals are merged, so their ends are sorted: the first one ending after
        # ``start`` is the only one that can overlap.
        i = bisect_right(blocked_ends, start)
        if i < len(blocked_ends) and blocked_starts[i] < end:
            continue
        fits, inside = 0, False
        for count, window_starts, window_ends in windows:
            j = bisect_right(window_starts, start) - 1
            if j >= 0 and end <= window_ends[j]:
                fits += count
                inside = True
        if not inside:
            continue
        is_cadence = start in cadence
        warned = start - now < lead_time
        key = (fits < total, -fits, not is_cadence, warned, start)
        candidates.append((key, start, fits, is_cadence))
    candidates.sort(key=lambda c: c[0])

    chosen: list[Slot] = []
    per_date: Counter = Counter()
    taken: dict[object, list[datetime]] = {}
    for _key, start, fits, is_cadence in candidates:
        date = start.astimezone(day_tz).date()
        if per_date[date] >= per_day:
            continue
        if any(abs(start - other) < duration + SAME_DAY_GAP for other in taken.get(date, [])):
            continue
        per_date[date] += 1
        taken.setdefault(date, []).append(start)
        chosen.append(_slot(start, duration, fits, total, is_cadence, now=now, lead_time=lead_time))
        if len(chosen) >= limit:
            break
    return chosen


def _slot(
    start: datetime,
    duration: timedelta,
    fits: int,
    total: int,
    is_cadence: bool,
    *,
    now: datetime,
    lead_time: timedelta,
) -> Slot:
    warnings = []
    left = start - now
    if left < lead_time:
        days = left.days
        warnings.append(
            f"Leaves {days} day{'' if days == 1 else 's'} for invitations; "
            f"the programme invites {lead_time.days} days ahead."
        )
    # Score 0-100: the share of invitees whose working hours it fits, +10 for a cadence slot,
    # -10 when it leaves less than the lead time. Ranking uses the same order.
    share = fits / total if total else 1.0
    score = round(100 * share + (10 if is_cadence else 0) - (10 if warnings else 0), 1)
    return Slot(start, start + duration, score, fits, total, is_cadence, warnings)
