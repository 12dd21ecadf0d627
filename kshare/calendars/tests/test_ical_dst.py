"""A feed's rhythm events expanded by an independent implementation (recurring-ical-events)
across daylight-saving changes: the huddle stays at 09:30 wall-clock time, its UTC offset
changes, the cancelled Monday is gone and the moved one is at its new time."""

from datetime import date, timedelta

import pytest
import recurring_ical_events
from django.urls import reverse

from kshare.calendars.tests.feed_support import feed_of, local, parse, weekly_huddle

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)

# (zone, first Monday, cancelled Monday, moved Monday -> Tuesday 11:00, expected occurrences as
# (local wall-clock start, UTC offset)). The DST change falls between the cancelled and the
# moved Monday.
CASES = {
    # Clocks go forward on Sunday 29 March 2026 (CET +01:00 -> CEST +02:00).
    "amsterdam-spring": (
        "Europe/Amsterdam",
        date(2026, 3, 9),
        date(2026, 3, 16),
        date(2026, 3, 30),
        [
            ("2026-03-09 09:30", 1 * H),
            ("2026-03-23 09:30", 1 * H),
            ("2026-03-31 11:00", 2 * H),
            ("2026-04-06 09:30", 2 * H),
            ("2026-04-13 09:30", 2 * H),
        ],
    ),
    # Clocks go back on Sunday 25 October 2026.
    "amsterdam-autumn": (
        "Europe/Amsterdam",
        date(2026, 10, 12),
        date(2026, 10, 19),
        date(2026, 10, 26),
        [
            ("2026-10-12 09:30", 2 * H),
            ("2026-10-27 11:00", 1 * H),
            ("2026-11-02 09:30", 1 * H),
            ("2026-11-09 09:30", 1 * H),
            ("2026-11-16 09:30", 1 * H),
        ],
    ),
    # Clocks go forward on Sunday 8 March 2026 (EST -05:00 -> EDT -04:00).
    "new-york-spring": (
        "America/New_York",
        date(2026, 2, 23),
        date(2026, 3, 2),
        date(2026, 3, 9),
        [
            ("2026-02-23 09:30", -5 * H),
            ("2026-03-10 11:00", -4 * H),
            ("2026-03-16 09:30", -4 * H),
            ("2026-03-23 09:30", -4 * H),
            ("2026-03-30 09:30", -4 * H),
        ],
    ),
    # Clocks go back on Sunday 1 November 2026.
    "new-york-autumn": (
        "America/New_York",
        date(2026, 10, 19),
        date(2026, 10, 26),
        date(2026, 11, 2),
        [
            ("2026-10-19 09:30", -4 * H),
            ("2026-11-03 11:00", -5 * H),
            ("2026-11-09 09:30", -5 * H),
            ("2026-11-16 09:30", -5 * H),
            ("2026-11-23 09:30", -5 * H),
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_rhythm_in_feed_expands_across_dst(client, person, case):
    tz_name, first, cancelled, moved, expected = CASES[case]
    weekly_huddle(
        tz_name=tz_name,
        first_monday=first,
        cancelled=cancelled,
        moved=(moved, moved + timedelta(days=1), 11),
    )
    feed = feed_of(person, include_rhythm=True)

    cal = parse(client.get(reverse("calendars:person_feed", args=[feed.token])))
    occurrences = recurring_ical_events.of(cal).between(first, first + timedelta(days=36))

    found = [
        (o["DTSTART"].dt.strftime("%Y-%m-%d %H:%M"), o["DTSTART"].dt.utcoffset())
        for o in occurrences
    ]
    assert found == expected
    # The instants are right too, not only the labels: each is that wall-clock time in the zone.
    for occurrence, (wall, _) in zip(occurrences, expected, strict=True):
        day = date.fromisoformat(wall[:10])
        hour, minute = int(wall[11:13]), int(wall[14:16])
        assert occurrence["DTSTART"].dt == local(tz_name, day, hour, minute)
        assert occurrence["DTEND"].dt - occurrence["DTSTART"].dt == timedelta(minutes=30)
    # Cancelled one is absent; the moved one keeps the series' UID and its original start.
    (moved_occurrence,) = [o for o in occurrences if o["DTSTART"].dt.hour == 11]
    assert moved_occurrence["RECURRENCE-ID"].dt == local(tz_name, moved, 9, 30)
    assert len({str(o["UID"]) for o in occurrences}) == 1
