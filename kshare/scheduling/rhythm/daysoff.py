"""Days off: the company's closure days (``ClosureDay``) and public holidays of offices.

The one place the slot finder, the cadence nudge, reminders and rhythm events ask "is this a
day off?". ``closure_days`` is one query for any window; public holidays come from the
``holidays`` package (``kshare.people.offices``) without a query.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from kshare.people.offices import public_holidays
from kshare.scheduling.rhythm.models import ClosureDay

# The closure days a new installation starts with (month, day, name); editable on
# /rhythm/closures/ — delete one where the company works that day.
DEFAULT_CLOSURE_DAYS = [
    (12, 24, "Christmas Eve"),
    (12, 25, "Christmas Day"),
    (12, 31, "New Year's Eve"),
    (1, 1, "New Year's Day"),
]


@dataclass(frozen=True)
class ClosureRule:
    month: int
    day: int
    year: int | None
    name: str


def closure_dates(rules: Iterable[ClosureRule], *, first: date, last: date) -> dict[date, str]:
    """The dates from ``first`` to ``last`` inclusive that ``rules`` close (pure)."""
    found: dict[date, str] = {}
    for rule in rules:
        for year in [rule.year] if rule.year else range(first.year, last.year + 1):
            try:
                day = date(year, rule.month, rule.day)
            except ValueError:  # 29 February in a common year
                continue
            if first <= day <= last:
                found[day] = rule.name
    return found


def closure_rules() -> list[ClosureRule]:
    """Every closure day as plain data (one query)."""
    return [
        ClosureRule(c.month, c.day, c.year, c.name)
        for c in ClosureDay.objects.order_by("year", "month", "day", "id")
    ]


def closure_days(*, first: date, last: date) -> dict[date, str]:
    """The company's closure days from ``first`` to ``last`` inclusive (one query)."""
    return closure_dates(closure_rules(), first=first, last=last)


def days_off(
    *,
    first: date,
    last: date,
    region: str = "",
    closures: dict[date, str] | None = None,
) -> dict[date, str]:
    """Closure days (``closures``, else read) and the public holidays of ``region``."""
    off = dict(closures if closures is not None else closure_days(first=first, last=last))
    for day, name in public_holidays(region=region, first=first, last=last).items():
        off.setdefault(day, name)
    return off


def previous_working_day(day: date, *, off: Collection[date]) -> date:
    """The last day before ``day`` that is a weekday and not in ``off``."""
    day -= timedelta(days=1)
    while day.weekday() >= 5 or day in off:
        day -= timedelta(days=1)
    return day
