"""The iCalendar building blocks against RFC 5545: UTC sessions, multi-day sessions, rhythm
series with EXDATE and RECURRENCE-ID overrides in their own timezone."""

from datetime import UTC, date, datetime, timedelta

import pytest
import recurring_ical_events
from icalendar import Calendar

from kshare.calendars import ical
from kshare.calendars.tests.feed_support import events, local, weekly_huddle
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.sessions.models import State
from kshare.sessions.tests.factories import ScheduledSessionFactory

pytestmark = pytest.mark.django_db


def _lines(cal: Calendar) -> list[str]:
    # Unfolded content lines, so that long values can be compared whole.
    return ical.calendar_bytes(cal).decode().replace("\r\n ", "").split("\r\n")


def _round_trip(cal: Calendar) -> Calendar:
    return Calendar.from_ical(ical.calendar_bytes(cal))


def test_multi_day_session_has_its_real_start_and_end_in_utc():
    session = ScheduledSessionFactory(
        title="Two-day data workshop",
        start=local("Europe/Amsterdam", date(2026, 12, 2), 15),
        end=local("Europe/Amsterdam", date(2026, 12, 4), 12),
    )
    cal = ical.calendar_new(name="Test")
    cal.add_component(ical.session_event(session))

    lines = _lines(cal)

    assert "DTSTART:20261202T140000Z" in lines
    assert "DTEND:20261204T110000Z" in lines
    (event,) = events(_round_trip(cal))
    assert event["DTSTART"].dt == datetime(2026, 12, 2, 14, tzinfo=UTC)
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(days=1, hours=21)


def test_session_event_uid_sequence_status_and_stamp():
    session = ScheduledSessionFactory(sequence=3)
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)

    event = ical.session_event(session, stamp=stamp)

    assert str(event["UID"]) == f"session-{session.pk}@127.0.0.1"
    assert event["SEQUENCE"] == 3
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["DTSTAMP"].dt == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_cancelled_session_event_is_status_cancelled():
    session = ScheduledSessionFactory(state=State.CANCELLED, sequence=1)

    event = ical.session_event(session)

    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_calendar_has_name_in_x_wr_calname_and_name():
    cal = _round_trip(ical.calendar_new(name="Tech Talks"))

    assert str(cal["X-WR-CALNAME"]) == "Tech Talks"
    assert str(cal["NAME"]) == "Tech Talks"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == ical.PRODID


def test_rhythm_exdate_and_recurrence_id_are_in_the_series_timezone_and_share_its_uid():
    event = weekly_huddle(
        tz_name="Europe/Amsterdam",
        first_monday=date(2026, 3, 2),
        cancelled=date(2026, 3, 16),
        moved=(date(2026, 3, 30), date(2026, 3, 31), 11),
    )
    cal = ical.calendar_new(name="Rhythm")
    for component in ical.rhythm_event_components(event):
        cal.add_component(component)

    lines = _lines(cal)

    assert "DTSTART;TZID=Europe/Amsterdam:20260302T093000" in lines
    assert "DTEND;TZID=Europe/Amsterdam:20260302T100000" in lines
    assert "RRULE:FREQ=WEEKLY;BYDAY=MO" in lines
    assert "EXDATE;TZID=Europe/Amsterdam:20260316T093000" in lines
    assert "RECURRENCE-ID;TZID=Europe/Amsterdam:20260330T093000" in lines
    assert "DTSTART;TZID=Europe/Amsterdam:20260331T110000" in lines
    assert "TZID:Europe/Amsterdam" in lines  # the VTIMEZONE the TZIDs refer to
    series, moved = events(_round_trip(cal))
    assert str(series["UID"]) == str(moved["UID"]) == f"rhythm-{event.pk}@127.0.0.1"
    assert "RECURRENCE-ID" not in series
    assert str(moved["DESCRIPTION"]) == "Moved for the offsite"


def test_rrule_until_date_becomes_utc_end_of_that_day():
    event = RhythmEvent.objects.create(
        name="Figure Friday",
        rrule="RRULE:FREQ=MONTHLY;BYDAY=1FR;UNTIL=20260605",
        starts=local("Europe/Amsterdam", date(2026, 4, 3), 16),
        duration_minutes=60,
        timezone="Europe/Amsterdam",
    )
    cal = ical.calendar_new(name="Rhythm")
    for component in ical.rhythm_event_components(event):
        cal.add_component(component)

    # 23:59:59 in Amsterdam (CEST, +02:00) is 21:59:59 UTC: RFC 5545 wants UTC with a TZID start.
    assert "RRULE:FREQ=MONTHLY;UNTIL=20260605T215959Z;BYDAY=1FR" in _lines(cal)
    starts = [
        occurrence["DTSTART"].dt.date()
        for occurrence in recurring_ical_events.of(_round_trip(cal)).between(
            date(2026, 1, 1), date(2027, 1, 1)
        )
    ]
    assert starts == [date(2026, 4, 3), date(2026, 5, 1), date(2026, 6, 5)]


def test_rhythm_in_utc_needs_no_vtimezone():
    event = RhythmEvent.objects.create(
        name="Kick-off",
        rrule="FREQ=DAILY",
        starts=datetime(2026, 3, 2, 8, tzinfo=UTC),
        duration_minutes=15,
        timezone="UTC",
    )
    cal = ical.calendar_new(name="Rhythm")
    for component in ical.rhythm_event_components(event):
        cal.add_component(component)

    lines = _lines(cal)

    assert "DTSTART:20260302T080000Z" in lines
    assert "BEGIN:VTIMEZONE" not in lines


def test_feed_calendar_is_stable_while_nothing_changes():
    session = ScheduledSessionFactory()
    huddle = weekly_huddle(tz_name="Europe/Amsterdam", first_monday=date(2026, 3, 2))

    def build() -> bytes:
        return ical.calendar_bytes(
            ical.feed_calendar(name="Mine", sessions=[session], rhythm_events=[huddle])
        )

    first = build()

    assert build() == first
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in first
    assert b"X-PUBLISHED-TTL:PT1H" in first
    assert b"METHOD" not in first
