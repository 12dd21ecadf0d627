"""The week and month calendars: rhythm occurrences and knowledge-sharing sessions, per local day.

Days are the viewer's days: a day runs from local midnight to the next local midnight in the
given zone (23 or 25 hours on daylight-saving days), so an event at 23:30 on 31 March belongs to
March for a viewer in that zone even when it is already April in UTC.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kshare.people.models import Person
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.scheduling.rhythm.selectors import rhythm_occurrences
from kshare.sessions.models import State, format_minutes
from kshare.sessions.selectors import sessions_visible_to

RHYTHM = "rhythm"
SESSION = "session"


@dataclass(frozen=True)
class AgendaItem:
    kind: str  # RHYTHM or SESSION
    title: str
    start: datetime
    end: datetime
    url: str
    detail: str = ""  # team, location
    moved: bool = False
    cancelled: bool = False  # a cancelled rhythm occurrence, shown struck through
    note: str = ""  # why it was moved or cancelled

    @property
    def is_session(self) -> bool:
        return self.kind == SESSION

    @property
    def label(self) -> str:
        return _("Knowledge sharing") if self.kind == SESSION else _("Information sharing")


@dataclass(frozen=True)
class DayEntry:
    """An item as it appears on one day: a multi-day item appears on every day it spans."""

    item: AgendaItem
    starts_before: bool  # began on an earlier day
    ends_after: bool  # goes on past this day


@dataclass
class Day:
    day: date
    start: datetime
    end: datetime
    is_today: bool = False
    in_range: bool = True
    entries: list[DayEntry] = field(default_factory=list)

    @property
    def sessions(self) -> int:
        return sum(1 for entry in self.entries if entry.item.is_session)


def local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    # Midnight exists in every zone kshare offers except on a handful of historical days;
    # converting through UTC picks the instant the local day begins either way.
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def agenda_items(
    *, person: Person, after: datetime, before: datetime, all_teams: bool = False
) -> list[AgendaItem]:
    """Rhythm occurrences (company-wide and ``person``'s team, or every team; cancelled ones
    included and marked) and the scheduled or held sessions ``person`` may see, overlapping
    [after, before), by start.

    Three queries whatever the number of events: rhythm events, their exceptions, sessions.
    """
    events = RhythmEvent.objects.select_related("team")
    if not all_teams:
        mine = Q(team__isnull=True)
        if person.team_id is not None:
            mine |= Q(team_id=person.team_id)
        events = events.filter(mine)
    by_id = {event.pk: event for event in events}
    items: list[AgendaItem] = []
    occurrences = rhythm_occurrences(
        after=after, before=before, events=by_id.values(), include_cancelled=True
    )
    for occurrence in occurrences:
        event = by_id[occurrence.event_id]
        detail = (
            _("Team %(name)s") % {"name": event.team.name} if event.team else _("Whole company")
        )
        if event.location:
            detail += f" · {event.location}"
        items.append(
            AgendaItem(
                kind=RHYTHM,
                title=occurrence.name,
                start=occurrence.start,
                end=occurrence.end,
                url=reverse("rhythm:detail", args=[event.pk]),
                detail=detail,
                moved=occurrence.moved,
                cancelled=occurrence.cancelled,
                note=occurrence.note,
            )
        )
    sessions = (
        sessions_visible_to(person=person)
        .filter(state__in=[State.SCHEDULED, State.HELD], start__lt=before)
        .filter(Q(end__gt=after) | Q(end__isnull=True, start__gte=after))
        .only("pk", "title", "start", "end", "format", "location")
        .order_by("start", "pk")
    )
    for session in sessions:
        assert session.start is not None
        end = session.end or session.start + timedelta(minutes=format_minutes(session.format))
        items.append(
            AgendaItem(
                kind=SESSION,
                title=session.title,
                start=session.start,
                end=end,
                url=session.get_absolute_url(),
                detail=session.location,
            )
        )
    items.sort(key=lambda item: (item.start, item.kind != SESSION, item.title))
    return items


def agenda_days(
    *,
    person: Person,
    first: date,
    last: date,
    tz: zoneinfo.ZoneInfo,
    today: date,
    all_teams: bool = False,
) -> list[Day]:
    """Every local day from ``first`` to ``last`` (inclusive) with the items on it."""
    days = []
    day = first
    while day <= last:
        nxt = day + timedelta(days=1)
        days.append(
            Day(day, local_midnight(day, tz), local_midnight(nxt, tz), is_today=day == today)
        )
        day = nxt
    items = agenda_items(
        person=person, after=days[0].start, before=days[-1].end, all_teams=all_teams
    )
    for item in items:
        for day_ in days:
            # Half-open days; a zero-length item belongs to the day of its start.
            overlaps = item.start < day_.end and (
                item.end > day_.start or (item.end == item.start == day_.start)
            )
            if overlaps:
                day_.entries.append(
                    DayEntry(
                        item,
                        starts_before=item.start < day_.start,
                        ends_after=item.end > day_.end,
                    )
                )
    return days
