"""The slot finder: the plain search (timezones, DST, ranking) and slots_find on the database."""

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest

from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.scheduling.slots import (
    WorkingHours,
    slots_search,
    working_hours_parse,
    working_windows,
)
from kshare.scheduling.slots_loader import slots_find
from kshare.sessions.models import Invitation, State
from kshare.sessions.tests.factories import InvitationFactory, SessionFactory

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
NYC = zoneinfo.ZoneInfo("America/New_York")
HOURS = WorkingHours(time(9), time(17, 30))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def local(tz, *args):
    return datetime(*args, tzinfo=tz)


def search(**kwargs):
    kwargs.setdefault("now", LONG_AGO)
    kwargs.setdefault("hours", HOURS)
    kwargs.setdefault("duration", timedelta(minutes=45))
    kwargs.setdefault("lead_time", timedelta(days=14))
    return slots_search(**kwargs)


# --- Working hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-5", "Working hours look like 09:00-17:30, not “9-5”."),
        ("09:00", "Working hours look like 09:00-17:30, not “09:00”."),
        ("17:00-09:00", "Working hours must end after they start (“17:00-09:00”)."),
    ],
)
def test_working_hours_setting_is_refused_when_unreadable(text, message):
    with pytest.raises(ValueError) as raised:
        working_hours_parse(text)
    assert str(raised.value) == message


def test_working_hours_are_parsed():
    assert working_hours_parse(" 08:30 - 16:00 ") == WorkingHours(time(8, 30), time(16))


def test_working_windows_stay_at_local_time_across_spring_forward():
    # Europe/Amsterdam moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
    windows = working_windows(
        tz=AMS,
        after=local(AMS, 2026, 3, 27),
        before=local(AMS, 2026, 3, 31),
        hours=HOURS,
    )
    assert windows == [
        (datetime(2026, 3, 27, 8, tzinfo=UTC), datetime(2026, 3, 27, 16, 30, tzinfo=UTC)),
        (datetime(2026, 3, 30, 7, tzinfo=UTC), datetime(2026, 3, 30, 15, 30, tzinfo=UTC)),
    ]


# --- The search -----------------------------------------------------------------------------


def test_slots_across_the_spring_forward_week_start_at_nine_local_time():
    slots = search(
        after=local(AMS, 2026, 3, 23),
        before=local(AMS, 2026, 4, 4),
        groups={"Europe/Amsterdam": 3},
        day_tz=AMS,
        limit=20,
        per_day=1,
    )
    assert [s.start.astimezone(AMS).time() for s in slots] == [time(9)] * 10
    assert [s.start.astimezone(AMS).day for s in slots] == [23, 24, 25, 26, 27, 30, 31, 1, 2, 3]
    assert [s.start.hour for s in slots] == [8] * 5 + [7] * 5  # the UTC instant moves
    assert {(s.fits, s.total, s.score, tuple(s.warnings)) for s in slots} == {(3, 3, 100.0, ())}


def test_new_york_and_amsterdam_fit_together_only_in_their_overlapping_hours():
    groups = {"Europe/Amsterdam": 2, "America/New_York": 1}
    # 16-20 March 2026: New York is on summer time already (UTC-4), Amsterdam not (UTC+1):
    # 09:00-17:30 overlap from 13:00 to 16:30 UTC.
    slots = search(
        after=local(AMS, 2026, 3, 16),
        before=local(AMS, 2026, 3, 21),
        groups=groups,
        duration=timedelta(hours=1),
        day_tz=AMS,
        limit=6,
    )
    # One such slot a day (two would be too close together), then the best of the rest.
    assert [s.fits for s in slots] == [3, 3, 3, 3, 3, 2]
    slots = slots[:5]
    assert slots[0].start == datetime(2026, 3, 16, 13, tzinfo=UTC)
    assert slots[0].start.astimezone(NYC).time() == time(9)
    assert all(
        datetime.combine(s.start.date(), time(13), UTC)
        <= s.start
        <= datetime.combine(s.start.date(), time(15, 30), UTC)
        for s in slots
    )
    # After Amsterdam moves too (30 March: UTC+2) the overlap is 13:00-15:30 UTC.
    later = search(
        after=local(AMS, 2026, 3, 30),
        before=local(AMS, 2026, 4, 4),
        groups=groups,
        duration=timedelta(hours=1),
        day_tz=AMS,
    )
    assert later[0].start.astimezone(AMS).time() == time(15)
    assert all(s.start.astimezone(AMS).time() <= time(16, 30) for s in later)


def test_when_no_slot_fits_everyone_the_larger_group_wins():
    slots = search(
        after=local(AMS, 2026, 3, 16),
        before=local(AMS, 2026, 3, 17),
        groups={"Europe/Amsterdam": 2, "America/New_York": 1},
        duration=timedelta(hours=4),  # longer than the 3.5-hour overlap
        day_tz=AMS,
        limit=1,
    )
    assert [(s.start, s.fits, s.total, s.score) for s in slots] == [
        (datetime(2026, 3, 16, 8, tzinfo=UTC), 2, 3, 66.7)
    ]


def test_busy_intervals_are_avoided():
    busy = [(local(AMS, 2026, 3, 16, 8, 30), local(AMS, 2026, 3, 16, 10, 15))]
    slots = search(
        after=local(AMS, 2026, 3, 16),
        before=local(AMS, 2026, 3, 17),
        groups={"Europe/Amsterdam": 1},
        busy=busy,
        day_tz=AMS,
        limit=1,
    )
    assert slots[0].start == local(AMS, 2026, 3, 16, 10, 15)


def test_a_cadence_slot_is_preferred_among_slots_that_fit_everyone():
    cadence = local(AMS, 2026, 3, 19, 16)
    slots = search(
        after=local(AMS, 2026, 3, 16),
        before=local(AMS, 2026, 3, 21),
        groups={"Europe/Amsterdam": 1},
        cadence_starts=[cadence],
        day_tz=AMS,
    )
    assert (slots[0].start, slots[0].cadence, slots[0].score) == (cadence, True, 110.0)
    assert [s.cadence for s in slots[1:]] == [False] * 9


def test_slots_within_the_lead_time_are_warned_and_ranked_after_the_others():
    now = local(AMS, 2026, 3, 9, 12)
    slots = search(
        after=local(AMS, 2026, 3, 16),
        before=local(AMS, 2026, 3, 28),
        groups={"Europe/Amsterdam": 1},
        now=now,
        day_tz=AMS,
        limit=20,
    )
    warned = [s for s in slots if s.warnings]
    clear = [s for s in slots if not s.warnings]
    assert slots == clear + warned
    assert clear[0].start == local(AMS, 2026, 3, 23, 12)  # exactly 14 days after now
    assert warned[0].start == local(AMS, 2026, 3, 16, 9)
    assert warned[0].warnings == [
        "Leaves 6 days for invitations; the programme invites 14 days ahead."
    ]
    assert warned[0].score == 90.0


def test_never_in_the_past_and_on_the_step_grid():
    now = local(AMS, 2026, 3, 16, 11, 7)
    slots = search(
        after=local(AMS, 2026, 3, 16),
        before=local(AMS, 2026, 3, 17),
        groups={"Europe/Amsterdam": 1},
        now=now,
        lead_time=timedelta(0),
        day_tz=AMS,
        limit=1,
    )
    assert slots[0].start == local(AMS, 2026, 3, 16, 11, 15)


def test_suggestions_are_spread_over_days():
    slots = search(
        after=local(AMS, 2026, 3, 16),
        before=local(AMS, 2026, 3, 21),
        groups={"Europe/Amsterdam": 1},
        day_tz=AMS,
        limit=10,
    )
    days = [s.start.astimezone(AMS).date() for s in slots]
    assert {d: days.count(d) for d in days} == {d: 2 for d in sorted(set(days))}
    assert len(set(days)) == 5
    for first, second in zip(slots[::2], slots[1::2], strict=True):
        assert second.start - first.start >= timedelta(minutes=45) + timedelta(hours=2)


def test_weekends_are_no_working_days():
    slots = search(
        after=local(AMS, 2026, 3, 21),  # Saturday
        before=local(AMS, 2026, 3, 23),
        groups={"Europe/Amsterdam": 1},
        day_tz=AMS,
    )
    assert slots == []


def test_without_invitees_the_organisers_working_hours_apply():
    slots = search(
        after=local(NYC, 2026, 3, 16),
        before=local(NYC, 2026, 3, 17),
        groups={},
        day_tz=NYC,
        limit=1,
    )
    assert [(s.start.astimezone(NYC).time(), s.fits, s.total) for s in slots] == [(time(9), 0, 0)]


# --- slots_find on the database ----------------------------------------------------------

MONDAY = local(AMS, 2030, 3, 4)  # a Monday in winter time (UTC+1)
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def find(session, **kwargs):
    kwargs.setdefault("after", MONDAY)
    kwargs.setdefault("before", MONDAY + timedelta(days=1))
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("tz", AMS)
    kwargs.setdefault("duration", timedelta(minutes=45))
    return slots_find(session=session, **kwargs)


def rhythm(name, rule, first, minutes, team=None):
    return RhythmEvent.objects.create(
        name=name,
        rrule=rule,
        starts=first,
        duration_minutes=minutes,
        timezone="Europe/Amsterdam",
        team=team,
    )


@pytest.fixture
def host(db):
    return PersonFactory(email="host@example.com", timezone="Europe/Amsterdam")


@pytest.fixture
def session(host):
    return SessionFactory(title="Typing Python", host=host)


@pytest.mark.django_db
def test_rhythm_events_of_the_company_and_of_the_invitees_teams_are_avoided(host, session):
    ours, theirs = TeamFactory(name="Data"), TeamFactory(name="Sales")
    host.team = ours
    host.save()
    rhythm("Weekly Huddle", "FREQ=WEEKLY;BYDAY=MO", local(AMS, 2030, 1, 7, 9, 30), 30)
    rhythm("Data kick-off", "FREQ=DAILY", local(AMS, 2030, 1, 1, 9), 15, team=ours)
    rhythm("Sales kick-off", "FREQ=DAILY", local(AMS, 2030, 1, 1, 10), 15, team=theirs)
    slots = find(session, limit=1)
    # 09:00-09:15 our kick-off, 09:30-10:00 the huddle; the Sales kick-off at 10:00 is no clash.
    assert slots[0].start == local(AMS, 2030, 3, 4, 10)


@pytest.mark.parametrize(
    ("case", "first_start"),
    [
        ("same programme", (11, 0)),
        ("hosted by the host", (11, 0)),
        ("the host said yes", (11, 0)),
        ("the host said no", (9, 0)),
        ("unrelated", (9, 0)),
        ("cancelled, same programme", (9, 0)),
        ("the session itself", (9, 0)),
    ],
)
@pytest.mark.django_db
def test_busy_sessions(host, session, case, first_start):
    start, end = local(AMS, 2030, 3, 4, 9), local(AMS, 2030, 3, 4, 11)
    other = {"start": start, "end": end, "state": State.SCHEDULED}
    if case == "same programme":
        SessionFactory(programme=session.programme, **other)
    elif case == "hosted by the host":
        SessionFactory(host=host, **other)
    elif case in ("the host said yes", "the host said no"):
        answer = Invitation.Response.YES if case.endswith("yes") else Invitation.Response.NO
        InvitationFactory(session=SessionFactory(**other), person=host, response=answer)
    elif case == "unrelated":
        SessionFactory(**other)
    elif case == "cancelled, same programme":
        SessionFactory(programme=session.programme, **{**other, "state": State.CANCELLED})
    else:
        session.start, session.end, session.state = start, end, State.SCHEDULED
        session.save()
    slots = find(session, limit=1)
    assert slots[0].start == local(AMS, 2030, 3, 4, *first_start)


@pytest.mark.django_db
def test_default_invitees_are_the_invited_people_and_the_hosts(host, session):
    InvitationFactory(session=session, person=PersonFactory(timezone="America/New_York"))
    InvitationFactory(session=session, person=PersonFactory(timezone="Europe/Amsterdam"))
    PersonFactory(timezone="Asia/Tokyo")  # not invited
    slots = find(session, limit=1)
    # Winter time on both sides: the overlap starts at 09:00 New York = 15:00 Amsterdam.
    assert [(s.start, s.fits, s.total) for s in slots] == [(local(NYC, 2030, 3, 4, 9), 3, 3)]


@pytest.mark.django_db
def test_the_cadence_of_the_programme_is_preferred(host):
    programme = ProgrammeFactory(
        cadence_rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        cadence_starts=local(AMS, 2030, 1, 3, 16),
        cadence_timezone="Europe/Amsterdam",
    )
    session = SessionFactory(programme=programme, host=host)
    # 3 January + 8 weeks = Thursday 28 February; + 2 weeks = 14 March (7 March is no slot).
    slots = find(session, before=MONDAY + timedelta(days=14))
    assert (slots[0].start, slots[0].cadence) == (local(AMS, 2030, 3, 14, 16), True)
    assert [s.cadence for s in slots[1:]] == [False] * 9


@pytest.mark.django_db
def test_lead_time_comes_from_the_programme(host):
    session = SessionFactory(programme=ProgrammeFactory(lead_time_days=21), host=host)
    slots = find(session, now=MONDAY - timedelta(days=20), limit=1)
    assert slots[0].warnings == [
        "Leaves 20 days for invitations; the programme invites 21 days ahead."
    ]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_invitees(host, session, django_assert_num_queries):
    rhythm("Weekly Huddle", "FREQ=WEEKLY;BYDAY=MO", local(AMS, 2030, 1, 7, 9, 30), 30)
    zones = ["Europe/Amsterdam", "America/New_York", "Asia/Tokyo", "Europe/London"]
    team = TeamFactory()
    InvitationFactory(session=session, person=PersonFactory(timezone=zones[0], team=team))
    # Invitees, busy sessions, rhythm events, their exceptions, closure days.
    with django_assert_num_queries(5):
        few = find(session)
    for i in range(10):
        InvitationFactory(session=session, person=PersonFactory(timezone=zones[i % 4], team=team))
    with django_assert_num_queries(5):
        many = find(session)
    assert (few[0].total, many[0].total) == (2, 12)
