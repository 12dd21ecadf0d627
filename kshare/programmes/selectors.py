from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from django.db.models import Count, Q, QuerySet

from kshare.core import recurrence
from kshare.core.timezones import timezone_or_utc
from kshare.people.models import Person
from kshare.people.offices import public_holidays
from kshare.programmes import visibility
from kshare.programmes.models import Programme


def programmes_visible_to(*, person: Person) -> QuerySet[Programme]:
    """Programmes ``person`` may see and propose into: ``PROGRAMME_RULE``
    (``kshare/programmes/visibility.py``, part of the one rule in ``kshare/visibility/rules.py``:
    open to the company or to their team, organised by them, or they are an admin)."""
    return visibility.programmes_visible_to(person=person)


def programmes_for_list(*, person: Person) -> QuerySet[Programme]:
    return (
        programmes_visible_to(person=person)
        .annotate(
            held_count=Count("sessions", filter=Q(sessions__state="held")),
            scheduled_count=Count("sessions", filter=Q(sessions__state="scheduled")),
        )
        .prefetch_related("organisers")
        .order_by("name")
    )


def programme_can_edit(*, person: Person, programme: Programme) -> bool:
    if not person.is_authenticated:
        return False
    if person.is_admin:
        return True
    return person.is_organiser and programme.organisers.filter(pk=person.pk).exists()


# --- Cadence and reminder settings -------------------------------------------------------

REMINDER_DEFAULTS = {"host_reminder_days": "7,1", "invitee_reminder_hours": "24,1"}


def programme_reminder_offsets(programme: Programme) -> dict[str, list[int]]:
    """A programme's reminder settings as minutes before a session, largest first.

    ``{"host_prep": [10080, 1440], "invitee": [1440, 60], "nudge": [7200]}`` for the defaults
    (keys are ``Reminder.Kind`` values; an empty list = that reminder is off). A stored value the
    form would refuse (e.g. edited in the admin) counts as the default, so reminders still go out.
    """
    from kshare.programmes.reminder_offsets import (
        HOST_REMINDER_MAX_DAYS,
        INVITEE_REMINDER_MAX_HOURS,
        OffsetsError,
        offsets_parse,
    )

    def parse(field: str, unit: str, maximum: int) -> list[int]:
        try:
            return offsets_parse(getattr(programme, field), unit=unit, maximum=maximum)
        except OffsetsError:
            return offsets_parse(REMINDER_DEFAULTS[field], unit=unit, maximum=maximum)

    days = parse("host_reminder_days", "days", HOST_REMINDER_MAX_DAYS)
    hours = parse("invitee_reminder_hours", "hours", INVITEE_REMINDER_MAX_HOURS)
    return {
        "host_prep": [d * 24 * 60 for d in days],
        "invitee": [h * 60 for h in hours],
        "nudge": [programme.nudge_days * 24 * 60] if programme.nudge_days else [],
    }


def programme_cadence_starts(
    *,
    programme: Programme,
    after: datetime,
    before: datetime | None = None,
    count: int | None = None,
) -> list[datetime]:
    """Cadence slot starts (UTC) from ``after``; none without a cadence (or a broken one)."""
    if not programme.cadence_rrule or programme.cadence_starts is None:
        return []
    try:
        return recurrence.series_starts(
            rule=programme.cadence_rrule,
            first=programme.cadence_starts,
            timezone=programme.cadence_timezone,
            after=after,
            before=before,
            count=count,
        )
    except recurrence.RecurrenceError:
        return []


def programme_cadence_tz(programme: Programme) -> zoneinfo.ZoneInfo:
    return timezone_or_utc(programme.cadence_timezone)


# The company's closure days are kept by the scheduling app (``ClosureDay``), a layer above this
# one: it registers its reader here when it is ready (``SchedulingConfig.ready``), so programmes
# imports nothing above it. Each reader takes ``first``/``last`` dates, both inclusive.
CLOSURE_DAY_READERS: list[Callable[..., Mapping[date, str]]] = []


def closure_days(*, first: date, last: date) -> set[date]:
    """The closure days from ``first`` to ``last`` inclusive (one query per reader)."""
    return {day for read in CLOSURE_DAY_READERS for day in read(first=first, last=last)}


class _Slot(Protocol):
    """A cadence slot as far as days off go (``reminders.cadence.CadenceSlot``)."""

    @property
    def start(self) -> datetime: ...


def programme_cadence_days_off(
    *, programme: Programme, organisers: list[Person], slots: Sequence[_Slot]
) -> set[date]:
    """The cadence's local dates (``programme.cadence_timezone``) among ``slots`` that are off:
    closure days, and public holidays every organiser with an office set has (one query)."""
    if not slots:
        return set()
    tz = programme_cadence_tz(programme)
    days = [slot.start.astimezone(tz).date() for slot in slots]
    first, last = min(days), max(days)
    off = closure_days(first=first, last=last)
    regions = {o.office_region for o in organisers if o.office_region}
    calendars = [set(public_holidays(region=r, first=first, last=last)) for r in regions]
    if calendars:
        off |= set.intersection(*calendars)
    return off
