"""The slot finder: the best free times for a session, for people in several timezones.

Two layers. ``slots_search`` is plain data in, plain data out (no database): candidate starts
every ``step`` minutes, each kept when it clashes with nothing busy and falls inside the working
hours of at least one timezone group, then ranked. ``slots_find`` gathers that data for a session
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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kshare.core.timezones import timezone_or_utc

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from kshare.people.models import Person
    from kshare.sessions.models import Session

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


def working_hours() -> WorkingHours:
    """The KSHARE_WORKING_HOURS setting (default 09:00-17:30), Monday to Friday."""
    text = getattr(settings, "KSHARE_WORKING_HOURS", DEFAULT_WORKING_HOURS)
    try:
        return working_hours_parse(text)
    except ValueError as exc:
        raise ImproperlyConfigured(f"KSHARE_WORKING_HOURS: {exc}") from exc


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
    lead_time: timedelta = timedelta(days=14),
    hours: WorkingHours | None = None,
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
    hours = hours or working_hours()
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


# --- Gathering the data for a session (a fixed number of queries) ---------------------------


def invitee_groups(
    invitees: QuerySet[Person] | Sequence[Person],
) -> tuple[dict[Group, int], set[int]]:
    """People per timezone and office region, and the teams they belong to: one query for a
    queryset."""
    from django.db.models import Count

    from kshare.people.models import Person
    from kshare.people.offices import office_region

    groups: Counter = Counter()
    teams: set[int] = set()
    if isinstance(invitees, Sequence):
        rows: Iterable[tuple[str, int | None, str, str, int]] = [
            (p.timezone, p.team_id, p.office_country, p.office_subdivision, 1) for p in invitees
        ]
    else:
        assert invitees.model is Person
        rows = (
            invitees.order_by()
            .values_list("timezone", "team_id", "office_country", "office_subdivision")
            .annotate(n=Count("id", distinct=True))
        )
    for name, team_id, country, subdivision, n in rows:
        groups[Group(str(timezone_or_utc(name)), office_region(country, subdivision))] += n
        if team_id is not None:
            teams.add(team_id)
    return dict(groups), teams


def session_invitees(session: Session) -> QuerySet[Person]:
    """Who a session is planned for by default: its invitees and its hosts (active people)."""
    from django.db.models import Exists, OuterRef, Q

    from kshare.people.models import Person
    from kshare.sessions.models import Invitation, SessionHost

    return Person.objects.filter(is_active=True).filter(
        Q(Exists(Invitation.objects.filter(session=session, person=OuterRef("pk"))))
        | Q(Exists(SessionHost.objects.filter(session=session, person=OuterRef("pk"))))
    )


def busy_sessions(
    *, session: Session, after: datetime, before: datetime
) -> list[tuple[datetime, datetime]]:
    """Intervals of other scheduled sessions of the programme, and of sessions a host of
    ``session`` hosts or said yes to. One query.
    """
    from django.db.models import Exists, OuterRef, Q

    from kshare.sessions.models import Invitation, Session, SessionHost, State, format_minutes

    hosts = SessionHost.objects.filter(session=session).values("person_id")
    # A session's end may be empty (its format's length then applies): look back a day.
    rows = (
        Session.objects.filter(
            state=State.SCHEDULED, start__lt=before, start__gt=after - timedelta(days=1)
        )
        .exclude(pk=session.pk)
        .filter(
            Q(programme_id=session.programme_id)
            | Q(Exists(SessionHost.objects.filter(session=OuterRef("pk"), person_id__in=hosts)))
            | Q(
                Exists(
                    Invitation.objects.filter(
                        session=OuterRef("pk"),
                        person_id__in=hosts,
                        response=Invitation.Response.YES,
                    )
                )
            )
        )
        .values_list("start", "end", "format")
    )
    intervals = []
    for start, end, format in rows:
        if start is None:
            continue
        until = end or start + timedelta(minutes=format_minutes(format))
        if until > after:
            intervals.append((start, until))
    return intervals


def slots_find(
    *,
    session: Session,
    after: datetime,
    before: datetime,
    invitees: QuerySet[Person] | Sequence[Person] | None = None,
    duration: timedelta | None = None,
    limit: int = 10,
    step_minutes: int = 15,
    per_day: int = 2,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[Slot]:
    """The best free slots for ``session`` in [after, before), best first.

    ``invitees`` defaults to the session's invitees and hosts; ``duration`` to the session's
    length (or its format's); ``tz`` (the organiser's timezone, for spreading over days)
    to the current one. Avoids rhythm events (company-wide ones, and those of the invitees'
    teams), other scheduled sessions of the programme and sessions the hosts host or attend.
    No slot on the company's closure days, nor on the public holidays of the invitees'
    offices for them. Warns when a slot leaves less than the programme's lead time. Six
    queries at most.
    """
    from django.utils import timezone

    from kshare.people.offices import public_holidays
    from kshare.programmes.selectors import programme_cadence_starts
    from kshare.rhythm.daysoff import closure_days
    from kshare.rhythm.selectors import rhythm_occurrences
    from kshare.sessions.models import format_minutes

    now = now or timezone.now()
    tz = tz or timezone.get_current_timezone()
    if duration is None:
        duration = session.duration or timedelta(minutes=format_minutes(session.format))
    programme = session.programme
    groups, teams = invitee_groups(session_invitees(session) if invitees is None else invitees)
    busy = busy_sessions(session=session, after=after, before=before)
    busy.extend(
        (o.start, o.end) for o in rhythm_occurrences(after=after, before=before, team_ids=teams)
    )
    cadence = programme_cadence_starts(programme=programme, after=after, before=before)
    # Local dates in every timezone: a day's margin on each side of the UTC window.
    first_day, last_day = (after - timedelta(days=1)).date(), (before + timedelta(days=1)).date()
    holidays = {
        region: set(public_holidays(region=region, first=first_day, last=last_day))
        for region in {group.region for group in groups}
        if region
    }
    return slots_search(
        after=after,
        before=before,
        duration=duration,
        groups=groups,
        busy=busy,
        cadence_starts=cadence,
        closed=set(closure_days(first=first_day, last=last_day)),
        holidays=holidays,
        now=now,
        lead_time=timedelta(days=programme.lead_time_days),
        day_tz=tz,
        limit=limit,
        per_day=per_day,
        step=timedelta(minutes=step_minutes),
    )
