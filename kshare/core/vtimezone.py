"""VTIMEZONE components that every common parser reads right.

icalendar's ``add_missing_timezones()`` writes one RDATE property holding every transition
(1970-2038); Mozilla's ical.js (Thunderbird's web relatives, many web calendars) reads only the
first value of such a list and so places summer events an hour off. This writes what Outlook
and Google write instead: a STANDARD and a DAYLIGHT sub-component with a yearly RRULE for the
zone's current rule (taken from the POSIX TZ string at the end of the zone's TZif file, the
rule the tz database itself applies after its last listed transition), and, for earlier years
the calendar needs, one sub-component per transition (no RDATE lists at all).
"""

from __future__ import annotations

import calendar
import functools
import importlib.resources
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vRecur

# Transitions are checked up to this year; the RRULE carries the rule on after it.
CHECK_UNTIL_YEAR = 2040
_POSIX_RULE = re.compile(
    r",M(?P<m1>\d{1,2})\.(?P<w1>[1-5])\.(?P<d1>[0-6])(?:/(?P<t1>\d{1,2}(?::\d{2}){0,2}))?"
    r",M(?P<m2>\d{1,2})\.(?P<w2>[1-5])\.(?P<d2>[0-6])(?:/(?P<t2>\d{1,2}(?::\d{2}){0,2}))?$"
)
_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


@dataclass(frozen=True)
class _Change:
    """One yearly change of the POSIX rule: month, week (5 = last), weekday (0 = Sunday), and
    the local wall-clock time of the change in the offset before it."""

    month: int
    week: int
    weekday: int
    at: timedelta

    def local(self, year: int) -> datetime:
        """The wall-clock moment of the change in ``year`` (in the offset before it)."""
        weekday = (self.weekday - 1) % 7  # Python: Monday = 0
        days = [
            d
            for d in calendar.Calendar().itermonthdates(year, self.month)
            if d.month == self.month and d.weekday() == weekday
        ]
        day = days[-1] if self.week == 5 else days[self.week - 1]
        return datetime(day.year, day.month, day.day) + self.at

    def rrule(self) -> vRecur:
        week = -1 if self.week == 5 else self.week
        return vRecur(
            {"FREQ": "YEARLY", "BYMONTH": self.month, "BYDAY": f"{week}{_DAYS[self.weekday]}"}
        )


def _at(text: str | None) -> timedelta:
    if not text:
        return timedelta(hours=2)
    parts = [int(p) for p in text.split(":")] + [0, 0]
    return timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


def _posix_string(key: str) -> str:
    """The POSIX TZ string at the end of the zone's TZif file (read where zoneinfo reads it)."""
    data = b""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / key
        if path.is_file():
            data = path.read_bytes()
            break
    else:
        try:
            resource = importlib.resources.files("tzdata.zoneinfo").joinpath(*key.split("/"))
            data = resource.read_bytes()
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return ""
    if not data.startswith(b"TZif") or not data.endswith(b"\n"):
        return ""
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii", "replace")


def _rule(key: str) -> tuple[_Change, _Change] | None:
    """(DST start, DST end) of the zone's current rule, or None (no DST, or a form we do not
    turn into an RRULE: those zones get one sub-component per transition)."""
    match = _POSIX_RULE.search(_posix_string(key))
    if match is None:
        return None
    start, end = (
        _Change(int(match[f"m{i}"]), int(match[f"w{i}"]), int(match[f"d{i}"]), _at(match[f"t{i}"]))
        for i in (1, 2)
    )
    if not (1 <= start.month <= 12 and 1 <= end.month <= 12):
        return None
    if start.at >= timedelta(hours=24) or end.at >= timedelta(hours=24):
        return None
    return start, end


def _offset(tz: zoneinfo.ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def _transitions(tz: zoneinfo.ZoneInfo, first: datetime, last: datetime) -> list[datetime]:
    """Every UTC instant in [first, last) where the zone's offset or name changes."""
    found = []
    step = timedelta(days=1)
    moment = first

    def state(at: datetime) -> tuple:
        local = at.astimezone(tz)
        return local.utcoffset(), local.tzname(), local.dst()

    current = state(moment)
    while moment < last:
        following = moment + step
        if state(following) != current:
            low, high = moment, following  # the change is in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if state(middle) == current:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
            current = state(following)
        moment = following
    return found


def _observance(
    tz: zoneinfo.ZoneInfo, onset: datetime, before: timedelta
) -> TimezoneStandard | TimezoneDaylight:
    local = onset.astimezone(tz)
    component = TimezoneDaylight() if local.dst() else TimezoneStandard()
    component.add("dtstart", (onset + before).replace(tzinfo=None))
    component.add("tzoffsetfrom", before)
    component.add("tzoffsetto", local.utcoffset())
    component.add("tzname", local.tzname() or "")
    return component


@functools.lru_cache(maxsize=64)
def _vtimezone(key: str, first_year: int) -> bytes:
    tz = zoneinfo.ZoneInfo(key)
    rule = _rule(key)
    last_year = CHECK_UNTIL_YEAR
    rule_from = last_year + 1
    if rule is not None:
        start, end = rule
        # The first year from which every year to CHECK_UNTIL_YEAR follows the rule.
        year = last_year
        while year >= first_year and _follows(tz, rule, year):
            rule_from = year
            year -= 1
        if rule_from > last_year:
            rule = None
    first = datetime(first_year, 1, 1, tzinfo=UTC)
    until = datetime(min(rule_from, last_year + 1), 1, 1, tzinfo=UTC)
    component = Timezone()
    component.add("tzid", key)
    before = _offset(tz, first - timedelta(seconds=1))
    # What is in force on the first day the calendar needs.
    component.add_component(_observance(tz, first, before))
    for onset in _transitions(tz, first, until):
        component.add_component(_observance(tz, onset, _offset(tz, onset - timedelta(seconds=1))))
    if rule is not None:
        start, end = rule
        for change in (start, end):
            onset = _instant(tz, change, rule_from)
            observance = _observance(tz, onset, _offset(tz, onset - timedelta(seconds=1)))
            observance.add("rrule", change.rrule())
            component.add_component(observance)
    return component.to_ical()


def _instant(tz: zoneinfo.ZoneInfo, change: _Change, year: int) -> datetime:
    """The UTC instant of ``change`` in ``year``: its wall-clock time in the offset before."""
    local = change.local(year)
    before = _offset(tz, local.replace(tzinfo=UTC) - timedelta(hours=36))
    return (local - before).replace(tzinfo=UTC)


def _follows(tz: zoneinfo.ZoneInfo, rule: tuple[_Change, _Change], year: int) -> bool:
    """Whether the zone changes offset exactly at the rule's two instants in ``year``."""
    instants = sorted(_instant(tz, change, year) for change in rule)
    begin = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    found = _transitions(tz, begin - timedelta(days=1), end)
    found = [moment for moment in found if begin <= moment < end]
    return found == instants


def vtimezone_for(key: str, *, first_year: int) -> Timezone:
    """The VTIMEZONE of the IANA zone ``key``, right from 1 January of ``first_year`` on."""
    # Parsed from cached bytes: every calendar gets its own component.
    component = Timezone.from_ical(_vtimezone(key, first_year))
    assert isinstance(component, Timezone)
    return component


def calendar_add_timezones(cal: Calendar) -> None:
    """Add a VTIMEZONE for every TZID the calendar uses and does not define, from the year
    before its earliest event in that zone (a moved occurrence may lie before the series)."""
    missing = cal.get_missing_tzids()
    if not missing:
        return
    earliest: dict[str, date] = {}
    for component in cal.walk():
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            value = component.get(name)
            moment = getattr(value, "dt", None)
            if isinstance(moment, datetime) and moment.tzinfo is not None:
                key = getattr(moment.tzinfo, "key", None)
                if key in missing:
                    day = moment.date()
                    earliest[key] = min(earliest.get(key, day), day)
    position = len(cal.timezones)
    for key in sorted(missing):
        try:
            zoneinfo.ZoneInfo(key)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        first_year = earliest.get(key, date.today()).year - 1
        cal.subcomponents.insert(position, vtimezone_for(key, first_year=first_year))
        position += 1
