"""The dashboard's filters: the typed input and its rules, written once.

The page's GET form (``FilterForm``, also behind the CSV links) reads its fields into a
``FilterInput`` and shows ``InputError`` next to its fields; the API
(``kshare.api.routers.dashboard``) builds the same input from its query parameters (ids become
objects there) and answers 400 ``invalid`` with the same fields and messages. Either way the
result is the ``Filters`` the figures are computed for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kshare.core.inputs import InputErrors
from kshare.dashboard.figures import Filters
from kshare.people.models import Team
from kshare.programmes.models import Programme

PERIODS = [
    ("3m", gettext_lazy("Last 3 months")),
    ("6m", gettext_lazy("Last 6 months")),
    ("12m", gettext_lazy("Last 12 months")),
    ("year", gettext_lazy("This year")),
    ("custom", gettext_lazy("Custom: from … to …")),
]
DEFAULT_PERIOD = "12m"
MAX_DAYS = 5 * 366  # a longer custom period is refused (the charts list every month)
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)


def months_back(today: date, months: int) -> date:
    """First day of the month ``months - 1`` months before today's: 3 → the last 3 months."""
    first = today.replace(day=1)
    for _month in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


@dataclass
class FilterInput:
    programme: Programme | None = None
    team: Team | None = None
    period: str = DEFAULT_PERIOD  # a PERIODS key; only "custom" reads start and end
    start: date | None = None
    end: date | None = None


def filter_input_check(data: FilterInput, *, errors: InputErrors | None = None) -> Filters:
    """The period ``data`` names as ``Filters`` (a preset ends today, in the site's time zone),
    or ``InputError``: a custom period needs both days, within 1970-2999, the end not before the
    start and at most five years after it. ``errors`` may hold the caller's errors already."""
    errors = errors if errors is not None else InputErrors()
    programme_id = data.programme.pk if data.programme else None
    team_id = data.team.pk if data.team else None
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    if data.period != "custom":
        errors.raise_any()
        if data.period == "year":
            return Filters(programme_id, team_id, today.replace(month=1, day=1), today)
        return Filters(programme_id, team_id, months_back(today, int(data.period[:-1])), today)
    days = {"start": data.start, "end": data.end}
    if days["start"] is None:
        errors.add("start", _("Choose the first day of the period."))
    if days["end"] is None:
        errors.add("end", _("Choose the last day of the period."))
    for name, day in days.items():
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            errors.add(name, _("Choose a date between 1970 and 2999."))
            days[name] = None
    start, end = days["start"], days["end"]
    if start and end:
        if end < start:
            errors.add("end", _("The period must end on or after its first day."))
        elif (end - start).days > MAX_DAYS:
            errors.add("end", _("Choose a period of at most five years."))
    errors.raise_any()
    # Neither is None here: a missing or refused day raised above.
    return Filters(programme_id, team_id, cast(date, start), cast(date, end))
