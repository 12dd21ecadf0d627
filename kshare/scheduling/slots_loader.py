"""The slot finder's data loader: what ``kshare.scheduling.slots.slots_search`` needs for a
session, read from the database and the settings in a fixed number of queries.

``slots.py`` stays plain data in, plain data out (no Django); everything it is given comes from
here: the invitees counted per timezone and office region, the busy intervals (other sessions
of the programme and of the hosts, rhythm occurrences), the programme's cadence, closure days
and public holidays, the lead time and the working hours (``KSHARE_WORKING_HOURS``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from kshare.core.timezones import timezone_or_utc
from kshare.people.models import Person
from kshare.people.offices import office_region, public_holidays
from kshare.programmes.selectors import programme_cadence_starts
from kshare.scheduling.rhythm.daysoff import closure_days
from kshare.scheduling.rhythm.selectors import rhythm_occurrences
from kshare.scheduling.slots import (
    DEFAULT_WORKING_HOURS,
    Group,
    Slot,
    WorkingHours,
    slots_search,
    working_hours_parse,
)
from kshare.sessions.models import (
    Invitation,
    Session,
    SessionHost,
    State,
    format_minutes,
)


def working_hours() -> WorkingHours:
    """The KSHARE_WORKING_HOURS setting (default 09:00-17:30), Monday to Friday."""
    text = getattr(settings, "KSHARE_WORKING_HOURS", DEFAULT_WORKING_HOURS)
    try:
        return working_hours_parse(text)
    except ValueError as exc:
        raise ImproperlyConfigured(f"KSHARE_WORKING_HOURS: {exc}") from exc


def invitee_groups(
    invitees: QuerySet[Person] | Sequence[Person],
) -> tuple[dict[Group, int], set[int]]:
    """People per timezone and office region, and the teams they belong to: one query for a
    queryset."""
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
    lead_time = timedelta(days=programme.lead_time_days)
    found = slots_search(
        hours=working_hours(),
        after=after,
        before=before,
        duration=duration,
        groups=groups,
        busy=busy,
        cadence_starts=cadence,
        closed=set(closure_days(first=first_day, last=last_day)),
        holidays=holidays,
        now=now,
        lead_time=lead_time,
        day_tz=tz,
        limit=limit,
        per_day=per_day,
        step=timedelta(minutes=step_minutes),
    )
    # slots.py is plain Python (no Django): its one warning, the lead time, is worded here in
    # the reader's language.
    for slot in found:
        if slot.warnings:
            slot.warnings[:] = [lead_time_warning(days=(slot.start - now).days, lead=lead_time)]
    return found


def lead_time_warning(*, days: int, lead: timedelta) -> str:
    return ngettext(
        "Leaves %(days)d day for invitations; the programme invites %(lead)d days ahead.",
        "Leaves %(days)d days for invitations; the programme invites %(lead)d days ahead.",
        days,
    ) % {"days": days, "lead": lead.days}
