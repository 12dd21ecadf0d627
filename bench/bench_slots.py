"""Slot finder: a 4-week window for a session with 500 invitees in six timezones.

Builds 500 people over six timezones and ten teams, the demo-like rhythm (Weekly Huddle every
Monday 09:30, Figure Friday on the first Friday 16:00, a 09:00 kick-off per team on weekdays),
about 100 scheduled sessions (some in the same programme, some hosted by the session's host),
then times ``slots_find`` over four weeks: p50 and p95 of 20 runs, and its query count.
The target is under 200 ms.

Run through ``bench/run.py -k slots`` (a throw-away database, see bench/README.md).
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

INVITEES = 500
TEAMS = 10
SESSIONS = 100
RUNS = 20
TIMEZONES = [
    ("Europe/Amsterdam", 200),
    ("Europe/London", 100),
    ("America/New_York", 80),
    ("America/Los_Angeles", 50),
    ("Asia/Kolkata", 40),
    ("Asia/Tokyo", 30),
]


def run(bench) -> None:
    import zoneinfo

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kshare.people.models import Person, Team
    from kshare.programmes.models import Programme
    from kshare.scheduling.rhythm.models import RhythmEvent
    from kshare.scheduling.slots_loader import slots_find
    from kshare.sessions.models import Invitation, Session, SessionHost, State

    ams = zoneinfo.ZoneInfo("Europe/Amsterdam")
    now = timezone.now()
    teams = Team.objects.bulk_create(
        Team(name=f"Bench team {i}", slug=f"bench-team-{i}") for i in range(TEAMS)
    )
    zones = [name for name, n in TIMEZONES for _ in range(n)]
    people = Person.objects.bulk_create(
        Person(
            email=f"bench-slots-{i}@example.com",
            display_name=f"Invitee {i}",
            timezone=zones[i],
            team=teams[i % TEAMS],
        )
        for i in range(INVITEES)
    )
    host = people[0]
    first_monday = datetime(2026, 1, 5, 9, 30, tzinfo=ams)
    RhythmEvent.objects.create(
        name="Weekly Huddle",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        starts=first_monday,
        duration_minutes=30,
        timezone="Europe/Amsterdam",
    )
    RhythmEvent.objects.create(
        name="Figure Friday",
        rrule="FREQ=MONTHLY;BYDAY=1FR",
        starts=datetime(2026, 1, 2, 16, tzinfo=ams),
        duration_minutes=60,
        timezone="Europe/Amsterdam",
    )
    RhythmEvent.objects.bulk_create(
        RhythmEvent(
            name=f"{team.name} kick-off",
            rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            starts=datetime(2026, 1, 5, 9, tzinfo=ams),
            duration_minutes=15,
            timezone="Europe/Amsterdam",
            team=team,
        )
        for team in teams
    )
    programme = Programme.objects.create(
        name="Bench slots",
        slug="bench-slots",
        cadence_rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        cadence_starts=datetime(2026, 1, 8, 16, tzinfo=ams),
        cadence_timezone="Europe/Amsterdam",
    )
    other = Programme.objects.create(name="Bench other", slug="bench-other")
    window_start = now + timedelta(days=programme.lead_time_days)
    sessions = Session.objects.bulk_create(
        Session(
            programme=programme if i % 3 == 0 else other,
            title=f"Busy {i}",
            state=State.SCHEDULED,
            start=(window_start + timedelta(hours=7 * i)).replace(microsecond=0),
            end=(window_start + timedelta(hours=7 * i, minutes=45)).replace(microsecond=0),
        )
        for i in range(SESSIONS)
    )
    SessionHost.objects.bulk_create(
        SessionHost(session=s, person=host if i % 5 == 0 else people[1 + i])
        for i, s in enumerate(sessions)
    )
    session = Session.objects.create(programme=programme, title="The one to schedule")
    SessionHost.objects.create(session=session, person=host)
    Invitation.objects.bulk_create(Invitation(session=session, person=p) for p in people[1:])
    session = Session.objects.select_related("programme").get(pk=session.pk)

    def find():
        return slots_find(
            session=session,
            after=window_start,
            before=window_start + timedelta(days=28),
            tz=ams,
        )

    with CaptureQueriesContext(connection) as queries:
        slots = find()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        find()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    name = "slot finder"
    bench.record(name, "4 weeks, 500 invitees: p50", statistics.median(timings), "ms")
    bench.record(name, "4 weeks, 500 invitees: p95", timings[int(0.95 * (RUNS - 1))], "ms")
    bench.record(name, "4 weeks, 500 invitees: queries", len(queries.captured_queries), "queries")
    bench.record(name, "slots proposed", len(slots), "slots")
