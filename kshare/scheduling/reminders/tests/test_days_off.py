"""Reminders and the cadence nudge know days off: the company's closure days and the public
holidays of the host's (or the organisers') office (issue 14)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.core import mail

from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.cadence import cadence_nudges_send
from kshare.scheduling.reminders.models import CadenceNudge, Reminder
from kshare.scheduling.reminders.services import reminders_sync
from kshare.sessions.services import session_schedule
from kshare.sessions.tests.factories import SessionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("closure_days_as_installed")]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")


def _schedule(host, start):
    programme = ProgrammeFactory(
        host_reminder_days="3,1", invitee_reminder_hours="24", nudge_days=0
    )
    session = SessionFactory(host=host, programme=programme)
    return session_schedule(session=session, start=start, by=host).session


def _due(session) -> list[tuple[str, int, datetime]]:
    return [
        (r.kind, r.offset_minutes, r.due_at.astimezone(BERLIN))
        for r in Reminder.objects.filter(session=session).order_by("kind", "offset_minutes")
    ]


def test_a_reminder_on_epiphany_moves_to_the_working_day_before_for_a_bavarian_host():
    munich = PersonFactory(timezone="Europe/Berlin", office_country="DE", office_subdivision="BY")
    # Thursday 7 January 2027, 10:00: the 1-day and 24-hour reminders would fall on Epiphany.
    session = _schedule(munich, datetime(2027, 1, 7, 10, tzinfo=BERLIN))
    assert _due(session) == [
        ("host_prep", 1440, datetime(2027, 1, 5, 10, tzinfo=BERLIN)),  # Tuesday
        ("host_prep", 4320, datetime(2027, 1, 4, 10, tzinfo=BERLIN)),  # Monday, a working day
        ("invitee", 1440, datetime(2027, 1, 5, 10, tzinfo=BERLIN)),
    ]
    assert reminders_sync() == 0  # the tick's check agrees with the plan


def test_the_same_reminder_stays_for_a_host_in_berlin_where_epiphany_is_a_working_day():
    berlin = PersonFactory(timezone="Europe/Berlin", office_country="DE", office_subdivision="BE")
    session = _schedule(berlin, datetime(2027, 1, 7, 10, tzinfo=BERLIN))
    assert _due(session) == [
        ("host_prep", 1440, datetime(2027, 1, 6, 10, tzinfo=BERLIN)),
        ("host_prep", 4320, datetime(2027, 1, 4, 10, tzinfo=BERLIN)),
        ("invitee", 1440, datetime(2027, 1, 6, 10, tzinfo=BERLIN)),
    ]


def test_reminders_skip_the_christmas_closure_days_back_to_the_last_working_day():
    host = PersonFactory(timezone="Europe/Berlin")  # no office: closure days only
    # Tuesday 28 December 2027: 3 days before is Saturday 25 (closed) → Thursday 23 (24 closed).
    session = _schedule(host, datetime(2027, 12, 28, 10, tzinfo=BERLIN))
    assert _due(session) == [
        ("host_prep", 1440, datetime(2027, 12, 27, 10, tzinfo=BERLIN)),
        ("host_prep", 4320, datetime(2027, 12, 23, 10, tzinfo=BERLIN)),
        ("invitee", 1440, datetime(2027, 12, 27, 10, tzinfo=BERLIN)),
    ]


def test_a_session_on_a_closure_day_keeps_its_same_day_reminders():
    host = PersonFactory(timezone="Europe/Berlin")
    programme = ProgrammeFactory(host_reminder_days="1", invitee_reminder_hours="1", nudge_days=0)
    session = SessionFactory(host=host, programme=programme)
    start = datetime(2027, 12, 24, 11, tzinfo=BERLIN)  # planned on purpose on Christmas Eve
    session_schedule(session=session, start=start, by=host)
    assert _due(session) == [
        ("host_prep", 1440, datetime(2027, 12, 23, 11, tzinfo=BERLIN)),
        ("invitee", 60, datetime(2027, 12, 24, 10, tzinfo=BERLIN)),
    ]


def _weekly_cadence(byday: str, first: datetime, organisers):
    programme = ProgrammeFactory(
        name="Data Guild",
        slug="data-guild",
        cadence_rrule=f"FREQ=WEEKLY;BYDAY={byday}",
        cadence_starts=first,
        cadence_timezone="Europe/Amsterdam",
    )
    programme.organisers.add(*organisers)
    return programme


def _nudged() -> list[str]:
    return [
        f"{s.astimezone(AMS):%Y-%m-%d}"
        for s in CadenceNudge.objects.values_list("slot_start", flat=True).order_by("slot_start")
    ]


def test_the_cadence_nudge_leaves_out_christmas_eve_and_new_years_eve():
    _weekly_cadence("TU", datetime(2030, 12, 3, 16, tzinfo=AMS), [OrganiserFactory()])
    result = cadence_nudges_send(now=datetime(2030, 12, 10, 8, tzinfo=UTC))
    assert (result.slots, _nudged()) == (2, ["2030-12-10", "2030-12-17"])
    assert "24 December" not in mail.outbox[0].body


def test_the_cadence_nudge_leaves_out_a_holiday_every_organiser_has():
    bavarians = [
        OrganiserFactory(office_country="DE", office_subdivision="BY"),
        OrganiserFactory(office_country="DE", office_subdivision="BY"),
    ]
    _weekly_cadence("MO", datetime(2030, 12, 2, 16, tzinfo=AMS), bavarians)
    now = datetime(2030, 12, 30, 8, tzinfo=UTC)
    cadence_nudges_send(now=now)
    # Monday 6 January 2031 is Epiphany in Bavaria.
    assert _nudged() == ["2030-12-30", "2031-01-13", "2031-01-20"]


def test_a_holiday_only_some_organisers_have_is_still_an_open_slot():
    organisers = [
        OrganiserFactory(office_country="DE", office_subdivision="BY"),
        OrganiserFactory(office_country="US", timezone="America/New_York"),
    ]
    _weekly_cadence("MO", datetime(2030, 12, 2, 16, tzinfo=AMS), organisers)
    cadence_nudges_send(now=datetime(2030, 12, 30, 8, tzinfo=UTC))
    # Epiphany (Bavaria) and Martin Luther King Jr. Day (20 January, US): one office works.
    assert _nudged() == ["2030-12-30", "2031-01-06", "2031-01-13", "2031-01-20"]
