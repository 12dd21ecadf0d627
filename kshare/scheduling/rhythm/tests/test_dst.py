"""Rhythm events keep their wall-clock time across daylight-saving changes."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from kshare.calendars.ical import calendar_bytes, calendar_new, rhythm_event_components
from kshare.scheduling.rhythm.selectors import rhythm_occurrences
from kshare.scheduling.rhythm.services import rhythm_occurrence_cancel, rhythm_occurrence_move
from kshare.scheduling.rhythm.tests.factories import rhythm_event

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_and_utc(after: datetime, before: datetime, tz: ZoneInfo) -> list[tuple[str, str]]:
    return [
        (f"{o.start.astimezone(tz):%Y-%m-%d %H:%M %z}", f"{o.start:%H:%M}")
        for o in rhythm_occurrences(after=after, before=before)
    ]


def test_weekly_huddle_in_amsterdam_stays_at_0930_across_both_changes():
    # 2026: summer time from Sunday 29 March, winter time from Sunday 25 October.
    rhythm_event(timezone="Europe/Amsterdam", start_date=date(2026, 3, 16))
    assert local_and_utc(utc(2026, 3, 16), utc(2026, 4, 7), AMSTERDAM) == [
        ("2026-03-16 09:30 +0100", "08:30"),
        ("2026-03-23 09:30 +0100", "08:30"),
        ("2026-03-30 09:30 +0200", "07:30"),
        ("2026-04-06 09:30 +0200", "07:30"),
    ]
    assert local_and_utc(utc(2026, 10, 12), utc(2026, 11, 3), AMSTERDAM) == [
        ("2026-10-12 09:30 +0200", "07:30"),
        ("2026-10-19 09:30 +0200", "07:30"),
        ("2026-10-26 09:30 +0100", "08:30"),
        ("2026-11-02 09:30 +0100", "08:30"),
    ]


def test_weekly_huddle_in_new_york_follows_the_american_dates():
    # 2026: daylight time from Sunday 8 March, standard time from Sunday 1 November —
    # two weeks and one week away from Europe's changes.
    rhythm_event(timezone="America/New_York", start_date=date(2026, 3, 2))
    assert local_and_utc(utc(2026, 3, 2), utc(2026, 3, 24), NEW_YORK) == [
        ("2026-03-02 09:30 -0500", "14:30"),
        ("2026-03-09 09:30 -0400", "13:30"),
        ("2026-03-16 09:30 -0400", "13:30"),
        ("2026-03-23 09:30 -0400", "13:30"),
    ]
    assert local_and_utc(utc(2026, 10, 19), utc(2026, 11, 10), NEW_YORK) == [
        ("2026-10-19 09:30 -0400", "13:30"),
        ("2026-10-26 09:30 -0400", "13:30"),
        ("2026-11-02 09:30 -0500", "14:30"),
        ("2026-11-09 09:30 -0500", "14:30"),
    ]


def test_an_occurrence_moved_across_the_change_keeps_its_new_time_and_the_series_its_own():
    event = rhythm_event(timezone="Europe/Amsterdam", start_date=date(2026, 3, 16))
    # The 23 March huddle (winter time) moves to Tuesday 31 March 11:00 (summer time).
    new_start = datetime(2026, 3, 31, 11, 0, tzinfo=AMSTERDAM)
    rhythm_occurrence_move(
        event=event,
        original_start=utc(2026, 3, 23, 8, 30),
        new_start=new_start,
        new_end=datetime(2026, 3, 31, 11, 30, tzinfo=AMSTERDAM),
    )
    occurrences = rhythm_occurrences(after=utc(2026, 3, 16), before=utc(2026, 4, 7))
    assert [(o.start, o.moved, o.original_start) for o in occurrences] == [
        (utc(2026, 3, 16, 8, 30), False, utc(2026, 3, 16, 8, 30)),
        (utc(2026, 3, 30, 7, 30), False, utc(2026, 3, 30, 7, 30)),
        (utc(2026, 3, 31, 9, 0), True, utc(2026, 3, 23, 8, 30)),
        (utc(2026, 4, 6, 7, 30), False, utc(2026, 4, 6, 7, 30)),
    ]


def test_an_exdate_on_the_day_the_clocks_change():
    event = rhythm_event(
        name="Daily kick-off",
        rrule="FREQ=DAILY",
        timezone="Europe/Amsterdam",
        start_date=date(2026, 3, 27),
        start_time=time(9, 0),
        duration_minutes=15,
    )
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 29, 7, 0))
    assert local_and_utc(utc(2026, 3, 27), utc(2026, 3, 31), AMSTERDAM) == [
        ("2026-03-27 09:00 +0100", "08:00"),
        ("2026-03-28 09:00 +0100", "08:00"),
        ("2026-03-30 09:00 +0200", "07:00"),
    ]


def test_calendar_programs_expand_the_series_exactly_as_kshare_does():
    """The iCalendar export (RRULE + EXDATE + RECURRENCE-ID with TZID) expanded by
    recurring-ical-events gives the same UTC instants across both DST changes."""
    import icalendar
    import recurring_ical_events

    event = rhythm_event(timezone="Europe/Amsterdam", start_date=date(2026, 3, 2))
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 30, 7, 30))
    rhythm_occurrence_move(
        event=event,
        original_start=utc(2026, 10, 19, 7, 30),
        new_start=utc(2026, 10, 27, 12, 0),
        new_end=utc(2026, 10, 27, 12, 30),
    )
    cal = calendar_new(name="Rhythm", method=None)
    for component in rhythm_event_components(event):
        cal.add_component(component)
    parsed = icalendar.Calendar.from_ical(calendar_bytes(cal))
    window = (utc(2026, 3, 1), utc(2026, 11, 30))
    theirs = sorted(
        e["DTSTART"].dt.astimezone(UTC) for e in recurring_ical_events.of(parsed).between(*window)
    )
    ours = [o.start for o in rhythm_occurrences(after=window[0], before=window[1])]
    assert theirs == ours
    assert len(ours) == 39 - 1  # Mondays from 2 March to 30 November, one cancelled
