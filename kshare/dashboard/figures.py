"""Every dashboard figure, defined once: each function's docstring states its formula.

Common rules (all figures):

- **Period**: ``start`` and ``end`` are dates, both included, read in the site's time zone
  (settings.TIME_ZONE, UTC by default); months and quarters are calendar months and quarters of
  that zone. Without them, the period is the last 12 months up to today (``period_default``).
  Unless a docstring says otherwise the period applies to the *session start*; event figures
  (proposed, scheduled, cancelled) use the time of the event.
- **Programme**: only sessions of that programme (rhythm events belong to no programme, so
  information-sharing hours ignore it).
- **Team**: figures about *sessions* keep the sessions with at least one host in the team;
  figures about *people* (hosts, attendees, reach, absentees, watchers) keep the people in the team.
- "Held" means a session in the held state; shares are percentages with one decimal (half up),
  ``None`` (shown "—") when nothing was counted.

``selectors.figure_compute(name, ...)`` computes one figure (through the cache, in
``kshare.dashboard.selectors``); ``FIGURES`` maps names to definitions, in page order.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from kshare.feedback.models import Answer, FeedbackRequest, Question
from kshare.feedback.models import Response as FeedbackResponse
from kshare.ideas.models import Idea
from kshare.library.models import CatchUpSignal, Material
from kshare.people.models import Person, Team
from kshare.programmes.models import Programme
from kshare.scheduling.rhythm.selectors import rhythm_occurrences
from kshare.sessions.models import (
    Attendance,
    Invitation,
    Session,
    SessionChange,
    SessionHost,
    State,
)
from kshare.topics.models import TopicRequest

Number = int | Decimal | None
ONE = Decimal("0.1")


@dataclass(frozen=True)
class Filters:
    """What a figure is computed for: ids and an inclusive date range (never None here)."""

    programme_id: int | None
    team_id: int | None
    start: date
    end: date

    @property
    def lo(self) -> datetime:
        """The period's first instant (aware, site time zone)."""
        return timezone.make_aware(datetime.combine(self.start, time.min), _zone())

    @property
    def hi(self) -> datetime:
        """The instant after the period (exclusive)."""
        return timezone.make_aware(
            datetime.combine(self.end + timedelta(days=1), time.min), _zone()
        )

    def key(self) -> str:
        return f"p{self.programme_id or 0}:t{self.team_id or 0}:{self.start}:{self.end}"


@dataclass(frozen=True)
class FigureResult:
    """One computed figure: a table (``columns`` + ``rows``) with a headline and chart series.

    ``headline`` is the one number shown large (``unit`` says what it counts);
    ``chart`` names the chart kind ("bars" or "trend") and ``series`` the indices of the columns
    drawn, each row's first cell being its label.
    """

    name: str
    title: str
    unit: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    headline: Number
    headline_label: str
    description: str = ""
    chart: str = "bars"
    series: tuple[int, ...] = field(default_factory=tuple)
    computed_at: datetime | None = None  # set by the cache (kshare.dashboard.selectors)
    stale: bool = False  # an earlier version's figure, shown while the current one is computed


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    compute: Callable[[Filters], FigureResult]

    @property
    def formula(self) -> str:
        return (self.compute.__doc__ or "").strip()


# --- helpers -------------------------------------------------------------------------------


def _zone() -> tzinfo:
    """The site's time zone: figures never depend on the viewer's own zone."""
    return timezone.get_default_timezone()


def share(part: int, whole: int) -> Decimal | None:
    """``100 * part / whole`` with one decimal, half up; None when ``whole`` is 0."""
    if whole <= 0:
        return None
    return (Decimal(100 * part) / whole).quantize(ONE, rounding=ROUND_HALF_UP)


def _one(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(ONE, rounding=ROUND_HALF_UP)


def months_of(filters: Filters) -> list[date]:
    """First days of the calendar months the period touches, in order."""
    months = []
    day = filters.start.replace(day=1)
    while day <= filters.end:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def quarters_of(filters: Filters) -> list[tuple[int, int]]:
    seen: list[tuple[int, int]] = []
    for month in months_of(filters):
        quarter = (month.year, (month.month - 1) // 3 + 1)
        if quarter not in seen:
            seen.append(quarter)
    return seen


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def quarter_label(quarter: tuple[int, int]) -> str:
    return f"{quarter[0]} Q{quarter[1]}"


def _local_month(moment: Any) -> date:
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment, _zone()).date()
    return moment.replace(day=1)


def _quarter(moment: Any) -> tuple[int, int]:
    local = timezone.localtime(moment, _zone())
    return (local.year, (local.month - 1) // 3 + 1)


def month_bounds(filters: Filters) -> list[tuple[date, datetime, datetime]]:
    """(month, first instant, instant after) for each month, clipped to the period."""
    bounds = []
    for month in months_of(filters):
        following = (month + timedelta(days=32)).replace(day=1)
        lo = timezone.make_aware(datetime.combine(month, time.min), _zone())
        hi = timezone.make_aware(datetime.combine(following, time.min), _zone())
        bounds.append((month, max(lo, filters.lo), min(hi, filters.hi)))
    return bounds


def monthly(
    queryset: QuerySet[Any, Any],
    field_name: str,
    filters: Filters,
    measures: dict[str, Callable[[Q], Any]],
) -> dict[date, dict[str, Any]]:
    """One aggregate query: each measure (given the month's condition) for every month.

    Plain range conditions on ``field_name`` instead of a month truncation: the same SQL on
    SQLite and PostgreSQL, no per-row function call, and the period's range can use an index.
    """
    bounds = month_bounds(filters)
    aggregates = {}
    for i, (_, lo, hi) in enumerate(bounds):
        condition = Q(**{f"{field_name}__gte": lo, f"{field_name}__lt": hi})
        for key, make in measures.items():
            aggregates[f"{key}_{i}"] = make(condition)
    row = queryset.filter(
        **{f"{field_name}__gte": filters.lo, f"{field_name}__lt": filters.hi}
    ).aggregate(**aggregates)
    return {
        month: {key: row[f"{key}_{i}"] or 0 for key in measures}
        for i, (month, _, _) in enumerate(bounds)
    }


def _count(condition: Q) -> Count:
    return Count("id", filter=condition)


def sessions_in_scope(filters: Filters, prefix: str = "") -> Q:
    """Programme and team (a host in the team) conditions on sessions, reached via ``prefix``."""
    condition = Q()
    if filters.programme_id is not None:
        condition &= Q(**{f"{prefix}programme_id": filters.programme_id})
    if filters.team_id is not None:
        hosts = SessionHost.objects.filter(
            session_id=OuterRef(f"{prefix}pk" if prefix else "pk"),
            person__team_id=filters.team_id,
        )
        condition &= Q(Exists(hosts))
    return condition


def _session_ids_in_scope(filters: Filters) -> QuerySet[Session, Any]:
    return Session.objects.filter(sessions_in_scope(filters)).order_by().values("pk")


def _held_in_period(filters: Filters, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}state": State.HELD,
            f"{prefix}start__gte": filters.lo,
            f"{prefix}start__lt": filters.hi,
        }
    )


def _programme(filters: Filters, prefix: str = "session__") -> Q:
    if filters.programme_id is None:
        return Q()
    return Q(**{f"{prefix}programme_id": filters.programme_id})


def _people(filters: Filters, prefix: str = "person__") -> Q:
    if filters.team_id is None:
        return Q()
    return Q(**{f"{prefix}team_id": filters.team_id})


# --- figures -------------------------------------------------------------------------------


def sessions_per_month(filters: Filters) -> FigureResult:
    """Sessions proposed, scheduled, held and cancelled per month.

    For each month M of the period:
    proposed(M) = number of sessions created (``Session.created_at``) in M;
    scheduled(M) = number of distinct sessions with a "scheduled" history entry
    (``SessionChange`` kind scheduled: proposed → scheduled) dated in M;
    held(M) = number of sessions now held whose start is in M;
    cancelled(M) = number of distinct sessions with a "cancelled" history entry dated in M.
    Programme and team (a host in the team) filter the sessions.
    Headline: held sessions in the period.
    """
    scope = sessions_in_scope(filters)
    proposed = monthly(Session.objects.filter(scope), "created_at", filters, {"n": _count})
    held = monthly(Session.objects.filter(scope, state=State.HELD), "start", filters, {"n": _count})
    changes: dict[str, dict[date, dict[str, Any]]] = {}
    for kind in (SessionChange.Kind.SCHEDULED, SessionChange.Kind.CANCELLED):
        changes[kind] = monthly(
            SessionChange.objects.filter(kind=kind, session_id__in=_session_ids_in_scope(filters)),
            "at",
            filters,
            {"n": lambda condition: Count("session_id", distinct=True, filter=condition)},
        )
    rows = [
        (
            month_label(month),
            proposed[month]["n"],
            changes[SessionChange.Kind.SCHEDULED][month]["n"],
            held[month]["n"],
            changes[SessionChange.Kind.CANCELLED][month]["n"],
        )
        for month in months_of(filters)
    ]
    return FigureResult(
        name="sessions",
        title=gettext_noop("Sessions per month"),
        unit="sessions",
        columns=[
            gettext_noop("Month"),
            gettext_noop("Proposed"),
            gettext_noop("Scheduled"),
            gettext_noop("Held"),
            gettext_noop("Cancelled"),
        ],
        rows=rows,
        headline=sum(row[3] for row in rows),
        headline_label=gettext_noop("sessions held"),
        series=(1, 2, 3, 4),
    )


def lead_time(filters: Filters) -> FigureResult:
    """Share of sessions scheduled with at least the programme's lead time.

    Sessions counted: those with a "scheduled" history entry whose (current) start is in the
    period, by month of the start. For each, scheduled_at = its first "scheduled" entry's time;
    it meets the lead time when start - scheduled_at ≥ programme.lead_time_days days.
    share(M) = 100 * met(M) / scheduled(M). Programme and team (a host in the team) filter the
    sessions. Headline: the share over the whole period.
    """
    sessions = (
        Session.objects.filter(
            sessions_in_scope(filters), start__gte=filters.lo, start__lt=filters.hi
        )
        .annotate(
            scheduled_at=Min("changes__at", filter=Q(changes__kind=SessionChange.Kind.SCHEDULED))
        )
        .filter(scheduled_at__isnull=False)
        .values_list("start", "scheduled_at", "programme__lead_time_days")
        .order_by()
    )
    counted: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for start, scheduled_at, days in sessions:
        tally = counted[_local_month(start)]
        tally[0] += 1
        tally[1] += int(start - scheduled_at >= timedelta(days=days))
    rows = []
    for month in months_of(filters):
        scheduled, met = counted.get(month, [0, 0])
        rows.append((month_label(month), scheduled, met, share(met, scheduled)))
    return FigureResult(
        name="lead_time",
        title=gettext_noop("Scheduled with enough lead time"),
        unit="%",
        columns=[
            gettext_noop("Month"),
            gettext_noop("Scheduled"),
            gettext_noop("With the lead time"),
            gettext_noop("Share (%)"),
        ],
        rows=rows,
        headline=share(sum(r[2] for r in rows), sum(r[1] for r in rows)),
        # xgettext:no-python-format
        headline_label=gettext_noop("% scheduled at least the lead time ahead"),
        series=(1, 2),
    )


def hosts_per_quarter(filters: Filters) -> FigureResult:
    """Distinct hosts per quarter and first-time hosts.

    hosts(Q) = number of distinct people hosting (host or co-host) a held session that starts in
    quarter Q of the period; first_time(Q) = those of them whose first held hosted session
    ever (any programme) starts in Q. Programme filters the sessions; team keeps hosts in the team.
    Headline: distinct hosts over the whole period.
    """
    links = (
        SessionHost.objects.filter(
            _held_in_period(filters, "session__"),
            _programme(filters, "session__"),
            _people(filters),
        )
        .values_list("person_id", "session__start")
        .order_by()
    )
    hosts: dict[tuple[int, int], set[int]] = defaultdict(set)
    everyone: set[int] = set()
    for person_id, start in links:
        hosts[_quarter(start)].add(person_id)
        everyone.add(person_id)
    first = dict(
        SessionHost.objects.filter(_people(filters), session__state=State.HELD)
        .values("person_id")
        .annotate(first=Min("session__start"))
        .values_list("person_id", "first")
        .order_by()
    )
    rows = []
    for quarter in quarters_of(filters):
        people = hosts.get(quarter, set())
        newcomers = sum(1 for pk in people if pk in first and _quarter(first[pk]) == quarter)
        rows.append((quarter_label(quarter), len(people), newcomers))
    return FigureResult(
        name="hosts",
        title=gettext_noop("Hosts per quarter"),
        unit="people",
        columns=[
            gettext_noop("Quarter"),
            gettext_noop("Distinct hosts"),
            gettext_noop("First-time hosts"),
        ],
        rows=rows,
        headline=len(everyone),
        headline_label=gettext_noop("distinct hosts"),
        series=(1, 2),
    )


def conversion(filters: Filters) -> FigureResult:
    """Attendee → host conversion.

    attendees = distinct people who attended a held session starting in the period (programme
    filters those sessions; team keeps people in the team); converted = those of them who host
    (host or co-host) a held session, in any programme, that starts after the start of the first
    session they attended in the period. conversion = 100 * converted / attendees.
    Headline: conversion (%).
    """
    attended: dict[int, Any]
    if filters.team_id is None:
        attended = dict(
            Attendance.objects.filter(
                _held_in_period(filters, "session__"), _programme(filters, "session__")
            )
            .values("person_id")
            .annotate(first=Min("session__start"))
            .values_list("person_id", "first")
            .order_by()
        )
    else:  # a team's people: their attendances by person, the held sessions by the period
        starts = dict(
            Session.objects.filter(_held_in_period(filters), _programme(filters, ""))
            .values_list("pk", "start")
            .order_by()
        )
        members = list(Person.objects.filter(team_id=filters.team_id).values_list("pk", flat=True))
        attended = {}
        for person_id, session_id in Attendance.objects.filter(person_id__in=members).values_list(
            "person_id", "session_id"
        ):
            start = starts.get(session_id)
            if start is None:
                continue
            if person_id not in attended or start < attended[person_id]:
                attended[person_id] = start
    hosted = dict(
        SessionHost.objects.filter(_people(filters), session__state=State.HELD)
        .values("person_id")
        .annotate(last=Max("session__start"))
        .values_list("person_id", "last")
        .order_by()
    )
    converted = sum(1 for pk, first in attended.items() if pk in hosted and hosted[pk] > first)
    rate = share(converted, len(attended))
    return FigureResult(
        name="conversion",
        title=gettext_noop("Attendee → host conversion"),
        unit="%",
        columns=[
            gettext_noop("Period"),
            gettext_noop("Attended"),
            gettext_noop("Later hosted"),
            gettext_noop("Conversion (%)"),
        ],
        rows=[(f"{filters.start} to {filters.end}", len(attended), converted, rate)],
        headline=rate,
        # xgettext:no-python-format
        headline_label=gettext_noop("% of attendees later hosted"),
        series=(1, 2),
    )


def reach(filters: Filters) -> FigureResult:
    """Reach by team: share of people who attended at least one session in the period.

    For each team T (and "No team"): people(T) = active people in T; reached(T) = those of them
    with an attendance at a held session starting in the period (programme filters the sessions);
    share(T) = 100 * reached(T) / people(T). The team filter keeps that team's row only.
    Headline: 100 * Σ reached / Σ people over the rows shown.
    """
    held = Session.objects.filter(_held_in_period(filters), _programme(filters, "")).values("pk")
    people = Person.objects.filter(is_active=True)
    if filters.team_id is not None:
        people = people.filter(team_id=filters.team_id)
    sizes: dict[int | None, int] = dict(
        people.order_by().values("team_id").annotate(n=Count("id")).values_list("team_id", "n")
    )
    reached: dict[int | None, int]
    if filters.team_id is None:
        reached = dict(
            Attendance.objects.filter(session_id__in=held, person__is_active=True)
            .values("person__team_id")
            .annotate(n=Count("person_id", distinct=True))
            .values_list("person__team_id", "n")
            .order_by()
        )
    else:  # a team's people: their attendances by person, checked against the held sessions
        held_ids = set(held.order_by().values_list("pk", flat=True))
        members = list(people.values_list("pk", flat=True))
        reached = {
            filters.team_id: len(
                {
                    person_id
                    for person_id, session_id in Attendance.objects.filter(
                        person_id__in=members
                    ).values_list("person_id", "session_id")
                    if session_id in held_ids
                }
            )
        }
    names: dict[int | None, str] = dict(
        Team.objects.filter(pk__in=[pk for pk in sizes if pk]).values_list("pk", "name")
    )
    order: list[int | None] = sorted(
        (pk for pk in sizes if pk), key=lambda pk: (names[pk].lower(), pk)
    )
    if None in sizes:
        order.append(None)
    rows = [
        (
            names[pk] if pk else gettext_noop("No team"),
            sizes[pk],
            reached.get(pk, 0),
            share(reached.get(pk, 0), sizes[pk]),
        )
        for pk in order
    ]
    return FigureResult(
        name="reach",
        title=gettext_noop("Reach by team"),
        unit="%",
        columns=[
            gettext_noop("Team"),
            gettext_noop("People"),
            gettext_noop("Attended at least one"),
            gettext_noop("Share (%)"),
        ],
        rows=rows,
        headline=share(sum(r[2] for r in rows), sum(r[1] for r in rows)),
        # xgettext:no-python-format
        headline_label=gettext_noop("% of people attended a session"),
        series=(3,),
    )


def feedback(filters: Filters) -> FigureResult:
    """Average feedback and response rate per month (trend).

    For the sessions starting in month M (programme; team: a host in the team):
    average(M) = mean of the answers to "overall" rating questions (1-5, two decimals, half up);
    responses(M) = number of feedback responses; requests(M) = number of feedback requests sent;
    response_rate(M) = 100 * responses(M) / requests(M).
    Headline: the average over every overall rating in the period.
    """
    scope = sessions_in_scope(filters, "session__")
    ratings = monthly(
        Answer.objects.filter(
            sessions_in_scope(filters, "response__session__"),
            response__released=True,
            question__purpose=Question.Purpose.OVERALL,
            question__kind=Question.Kind.RATING,
            number__isnull=False,
        ),
        "response__session__start",
        filters,
        {"total": lambda c: Sum("number", filter=c), "n": _count},
    )
    responses = monthly(
        FeedbackResponse.objects.released().filter(scope),
        "session__start",
        filters,
        {"n": _count},
    )
    requests = monthly(
        FeedbackRequest.objects.filter(scope), "session__start", filters, {"n": _count}
    )
    two = Decimal("0.01")
    rows = []
    for month in months_of(filters):
        total, n = ratings[month]["total"], ratings[month]["n"]
        average = (Decimal(total) / n).quantize(two, rounding=ROUND_HALF_UP) if n else None
        sent, got = requests[month]["n"], responses[month]["n"]
        rows.append((month_label(month), average, got, sent, share(got, sent)))
    total = sum(month["total"] for month in ratings.values())
    count = sum(month["n"] for month in ratings.values())
    return FigureResult(
        name="feedback",
        title=gettext_noop("Feedback: average rating and response rate"),
        unit="out of 5",
        columns=[
            gettext_noop("Month"),
            gettext_noop("Average rating"),
            gettext_noop("Responses"),
            gettext_noop("Requests"),
            gettext_noop("Response rate (%)"),
        ],
        rows=rows,
        headline=(Decimal(total) / count).quantize(two, rounding=ROUND_HALF_UP) if count else None,
        headline_label=gettext_noop("average overall rating (1-5)"),
        chart="trend",
        series=(1,),
    )


def idea_to_session(filters: Filters) -> FigureResult:
    """Time from an idea or topic request to a held session.

    For every idea promoted to a session, and every topic request answered by a session, where
    that session is held and starts in the period (programme; team: a host in the team):
    days = (session start - idea/request created_at) in days, at least 0 (a request linked to a
    session after it took place counts 0). Rows: ideas, topic requests and both together, with
    their count, median days and mean days (one decimal, half up). Headline: the median of both.
    """
    ideas = Idea.objects.filter(
        _held_in_period(filters, "promoted_session__"),
        sessions_in_scope(filters, "promoted_session__"),
    ).values_list("created_at", "promoted_session__start")
    topics = TopicRequest.objects.filter(
        _held_in_period(filters, "session__"), sessions_in_scope(filters, "session__")
    ).values_list("created_at", "session__start")

    def days(pairs: Iterable[Any]) -> list[float]:
        return [max(0.0, (start - created).total_seconds() / 86400) for created, start in pairs]

    def row(label: str, values: Sequence[float]) -> tuple[str, int, Number, Number]:
        if not values:
            return (label, 0, None, None)
        return (
            label,
            len(values),
            _one(statistics.median(values)),
            _one(sum(values) / len(values)),
        )

    from_ideas, from_topics = days(ideas.order_by()), days(topics.order_by())
    rows = [
        row(gettext_noop("Ideas"), from_ideas),
        row(gettext_noop("Topic requests"), from_topics),
        row(gettext_noop("Both"), from_ideas + from_topics),
    ]
    return FigureResult(
        name="idea_to_session",
        title=gettext_noop("From idea or topic request to a held session"),
        unit="days",
        columns=[
            gettext_noop("Source"),
            gettext_noop("Held sessions"),
            gettext_noop("Median days"),
            gettext_noop("Mean days"),
        ],
        rows=rows,
        headline=rows[2][2],
        headline_label=gettext_noop("days (median) from wish to session"),
        series=(2,),
    )


def sharing_hours(filters: Filters) -> FigureResult:
    """Hours of knowledge sharing versus information sharing per month.

    knowledge(M) = Σ (end - start) in hours of held sessions starting in M (programme; team: a
    host in the team); information(M) = Σ durations in hours of the rhythm-event occurrences
    starting in M (cancelled ones left out, moved ones at their new time; team: that team's events
    plus company-wide ones; programme does not apply). One decimal, half up.
    Headline: the knowledge-sharing share of all hours (%).
    """
    held: Iterable[Any] = Session.objects.filter(
        sessions_in_scope(filters), _held_in_period(filters), end__isnull=False
    ).values_list("start", "end")
    knowledge: dict[date, float] = defaultdict(float)
    for start, end in held:
        knowledge[_local_month(start)] += (end - start).total_seconds() / 3600
    information: dict[date, float] = defaultdict(float)
    occurrences = rhythm_occurrences(
        after=filters.lo,
        before=filters.hi,
        team_ids=None if filters.team_id is None else [filters.team_id],
    )
    for occurrence in occurrences:
        if filters.lo <= occurrence.start < filters.hi:
            hours = (occurrence.end - occurrence.start).total_seconds() / 3600
            information[_local_month(occurrence.start)] += hours
    rows = [
        (
            month_label(month),
            _one(knowledge.get(month, 0.0)),
            _one(information.get(month, 0.0)),
        )
        for month in months_of(filters)
    ]
    total_k = sum(knowledge.values())
    total_i = sum(information.values())
    headline = _one(100 * total_k / (total_k + total_i)) if total_k + total_i > 0 else None
    return FigureResult(
        name="hours",
        title=gettext_noop("Knowledge sharing vs information sharing (hours)"),
        unit="%",
        columns=[
            gettext_noop("Month"),
            gettext_noop("Knowledge sharing (h)"),
            gettext_noop("Information sharing (h)"),
        ],
        rows=rows,
        headline=headline,
        # xgettext:no-python-format
        headline_label=gettext_noop("% of the hours were knowledge sharing"),
        series=(1, 2),
    )


def catch_up(filters: Filters) -> FigureResult:
    """Recordings watched and the catch-up rate of absentees, per month.

    Sessions counted: held sessions starting in month M that have at least one material
    (programme; team: see below). watched(M) = number of "watched" catch-up signals on them;
    absentees(M) = invitations to them whose person has no attendance at that session;
    caught_up(M) = those absentees who marked the session watched;
    rate(M) = 100 * caught_up(M) / absentees(M). Team keeps the watchers and absentees in the team.
    Headline: the catch-up rate over the period.
    """
    with_material = Exists(Material.objects.filter(session_id=OuterRef("session_id")))
    base = Q(session__state=State.HELD) & _programme(filters) & _people(filters)
    watched = monthly(
        CatchUpSignal.objects.filter(base, with_material, kind=CatchUpSignal.Kind.WATCHED),
        "session__start",
        filters,
        {"n": _count},
    )
    attended = Attendance.objects.filter(
        session_id=OuterRef("session_id"), person_id=OuterRef("person_id")
    )
    signal = CatchUpSignal.objects.filter(
        session_id=OuterRef("session_id"),
        person_id=OuterRef("person_id"),
        kind=CatchUpSignal.Kind.WATCHED,
    )
    absent = monthly(
        Invitation.objects.filter(base, with_material)
        .exclude(Exists(attended))
        .annotate(saw=Exists(signal)),
        "session__start",
        filters,
        {"n": _count, "caught": lambda c: Count("id", filter=c & Q(saw=True))},
    )
    rows = []
    for month in months_of(filters):
        absentees, caught = absent[month]["n"], absent[month]["caught"]
        rows.append(
            (month_label(month), watched[month]["n"], absentees, caught, share(caught, absentees))
        )
    return FigureResult(
        name="catch_up",
        title=gettext_noop("Recordings watched and catch-up of absentees"),
        unit="%",
        columns=[
            gettext_noop("Month"),
            gettext_noop("Watched"),
            gettext_noop("Absentees"),
            gettext_noop("Absentees who watched"),
            gettext_noop("Catch-up rate (%)"),
        ],
        rows=rows,
        headline=share(sum(r[3] for r in rows), sum(r[2] for r in rows)),
        # xgettext:no-python-format
        headline_label=gettext_noop("% of absentees caught up"),
        series=(1, 3),
    )


FIGURES: dict[str, Figure] = {
    figure.name: figure
    for figure in (
        Figure("sessions", gettext_noop("Sessions per month"), sessions_per_month),
        Figure("lead_time", gettext_noop("Scheduled with enough lead time"), lead_time),
        Figure("hosts", gettext_noop("Hosts per quarter"), hosts_per_quarter),
        Figure("conversion", gettext_noop("Attendee → host conversion"), conversion),
        Figure("reach", gettext_noop("Reach by team"), reach),
        Figure("feedback", gettext_noop("Feedback: average rating and response rate"), feedback),
        Figure(
            "idea_to_session",
            gettext_noop("From idea or topic request to a held session"),
            idea_to_session,
        ),
        Figure("hours", gettext_noop("Knowledge sharing vs information sharing"), sharing_hours),
        Figure("catch_up", gettext_noop("Recordings watched and catch-up of absentees"), catch_up),
    )
}


def period_default(today: date | None = None) -> tuple[date, date]:
    """The last 12 months: from the first day of the month 11 months ago to today."""
    today = today or timezone.localdate(timezone=_zone())
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today


def filters_make(
    *,
    programme: Programme | int | None = None,
    team: Team | int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Filters:
    """Filters for ids or objects; a missing end is today, a missing start 12 months before end."""
    end = end or timezone.localdate(timezone=_zone())
    start = start or period_default(end)[0]
    if not date(1970, 1, 1) <= start <= end <= date(2999, 12, 31):
        raise ValueError("The period must run forwards, between 1970 and 2999.")
    if (end - start).days > 5 * 366:
        raise ValueError("The period may be at most five years long.")
    return Filters(
        programme_id=programme.pk if isinstance(programme, Programme) else programme,
        team_id=team.pk if isinstance(team, Team) else team,
        start=start,
        end=end,
    )
