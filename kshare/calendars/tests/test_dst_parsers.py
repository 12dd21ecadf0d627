"""Every common parser reads the feed's VTIMEZONEs right across both daylight-saving changes:
Mozilla's ical.js (npm, `make test` installs it into .cache/icaljs), icalendar (the VTIMEZONE
turned into a tzinfo), recurring-ical-events and khal each give, for every occurrence of
rhythm events in Europe/Berlin and America/New_York, the UTC instant the database holds.

Before: ical.js read only the first date of icalendar's multi-value RDATE and put Berlin
events an hour late all summer."""

from __future__ import annotations

import calendar as calendar_module
import json
import os
import shutil
import subprocess
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
from django.urls import reverse

from kshare.calendars.tests.feed_support import feed_of, local, parse
from kshare.calendars.tests.test_khal import KHAL_CONFIG, _khal, _run
from kshare.scheduling.rhythm.models import RhythmEvent, RhythmException

pytestmark = pytest.mark.django_db

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
YEAR = 2027
WINDOW = (date(2006, 1, 1), date(YEAR + 1, 1, 1))
SCRIPT = Path(__file__).with_name("icaljs_times.mjs")


def sunday(year: int, month: int, nth: int) -> date:
    """The nth Sunday of the month (-1: the last)."""
    sundays = [
        d
        for d in calendar_module.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == 6
    ]
    return sundays[nth - 1 if nth > 0 else nth]


def _icaljs() -> tuple[str, str]:
    node = shutil.which("node")
    local_copy = Path(__file__).resolve().parents[3] / ".cache" / "icaljs" / "ical.js"
    library = os.environ.get("KSHARE_ICALJS") or (str(local_copy) if local_copy.exists() else "")
    if not node or not library or not Path(library).is_file():
        pytest.fail(
            "This test reads the feed with Mozilla's ical.js, which is not installed "
            f"(node: {node!r}, KSHARE_ICALJS={os.environ.get('KSHARE_ICALJS', '')!r}). Run "
            "`make icaljs` (or `make test`, which installs it into .cache/icaljs)."
        )
    return node, library


def single(tz_name: str, label: str, day: date, hour: int, minute: int = 0) -> RhythmEvent:
    """A one-occurrence rhythm event at that wall-clock time."""
    return RhythmEvent.objects.create(
        name=f"{tz_name} {label}",
        rrule="FREQ=DAILY;COUNT=1",
        starts=local(tz_name, day, hour, minute),
        duration_minutes=30,
        timezone=tz_name,
    )


def the_year(tz_name: str) -> list[tuple[str, datetime]]:
    """Rhythm events around the zone's changes in YEAR (and, for New York, in 2006 under the
    rule before 2007); returns what the database says: (summary, UTC start) of every
    occurrence."""
    if tz_name == BERLIN:
        spring, autumn = sunday(YEAR, 3, -1), sunday(YEAR, 10, -1)
    else:
        spring, autumn = sunday(YEAR, 3, 2), sunday(YEAR, 11, 1)
    expected = []
    days = {
        "january": (date(YEAR, 1, 15), 10),
        "before spring": (spring - timedelta(days=1), 10),
        "spring night": (spring, 1, 30),
        "spring day": (spring, 10),
        "after spring": (spring + timedelta(days=1), 10),
        "july": (date(YEAR, 7, 15), 10),
        "before autumn": (autumn - timedelta(days=1), 10),
        "autumn night": (autumn, 0, 30),
        "autumn day": (autumn, 10),
        "after autumn": (autumn + timedelta(days=1), 10),
        "december": (date(YEAR, 12, 15), 10),
    }
    if tz_name == NEW_YORK:
        days |= {
            "2006 before april": (date(2006, 4, 1), 10),  # EST: DST began 2 April 2006
            "2006 after april": (date(2006, 4, 3), 10),  # EDT
            "2006 november": (date(2006, 11, 3), 10),  # EST (the rule since 2007 says EDT)
        }
    for label, (day, *time) in days.items():
        event = single(tz_name, label, day, *time)
        expected.append((event.name, event.starts))
    # A weekly series all year, one Monday cancelled and one moved across the autumn change.
    first_monday = date(YEAR, 1, 4)
    huddle = RhythmEvent.objects.create(
        name=f"{tz_name} huddle",
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=52",
        starts=local(tz_name, first_monday, 9, 30),
        duration_minutes=30,
        timezone=tz_name,
    )
    cancelled = spring + timedelta(days=1)
    moved = autumn - timedelta(days=6)
    moved_to = local(tz_name, autumn + timedelta(days=2), 11)
    RhythmException.objects.create(
        event=huddle, original_start=local(tz_name, cancelled, 9, 30), cancelled=True
    )
    RhythmException.objects.create(
        event=huddle,
        original_start=local(tz_name, moved, 9, 30),
        new_start=moved_to,
        new_end=moved_to + timedelta(minutes=30),
    )
    for week in range(52):
        monday = first_monday + timedelta(weeks=week)
        if monday == cancelled:
            continue
        start = moved_to if monday == moved else local(tz_name, monday, 9, 30)
        expected.append((huddle.name, start))
    return expected


def by_icaljs(ics: Path) -> list[tuple[str, datetime]]:
    node, library = _icaljs()
    result = subprocess.run(  # noqa: S603 - node from PATH, our own script and file
        [node, str(SCRIPT), library, str(ics), *(d.isoformat() for d in WINDOW)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [
        (item["summary"], datetime.fromisoformat(item["start"].replace("Z", "+00:00")))
        for item in json.loads(result.stdout)
    ]


def by_recurring_ical_events(cal: icalendar.Calendar) -> list[tuple[str, datetime]]:
    return [
        (str(o["SUMMARY"]), o["DTSTART"].dt.astimezone(UTC))
        for o in recurring_ical_events.of(cal).between(*WINDOW)
    ]


def by_icalendar_vtimezone(
    cal: icalendar.Calendar, expected: list[tuple[str, datetime]]
) -> list[tuple[str, datetime]]:
    """Each expected start's wall-clock time, turned back into UTC by the feed's own VTIMEZONE
    (icalendar's to_tz() expands its RRULEs): the VTIMEZONE alone must say the same."""
    zones = {str(tz["TZID"]): tz.to_tz() for tz in cal.walk("VTIMEZONE")}
    assert sorted(zones) == [NEW_YORK, BERLIN]
    found = []
    for summary, start in expected:
        key = BERLIN if summary.startswith(BERLIN) else NEW_YORK
        wall = start.astimezone(zoneinfo.ZoneInfo(key)).replace(tzinfo=None)
        found.append((summary, wall.replace(tzinfo=zones[key]).astimezone(UTC)))
    return found


def by_khal(ics: Path, tmp_path: Path) -> list[tuple[str, datetime]]:
    khal = _khal()
    vdir = tmp_path / "calendar"
    vdir.mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(KHAL_CONFIG.format(vdir=vdir, tz="UTC", db=tmp_path / "khal.db"))
    _run(khal, config, "import", "--batch", str(ics), home=tmp_path)
    listed = _run(
        khal,
        config,
        "--no-color",
        "list",
        "--format",
        "{start} {title}",
        "--day-format",
        "",
        WINDOW[0].isoformat(),
        WINDOW[1].isoformat(),
        home=tmp_path,
    )
    found = []
    for line in listed.splitlines():
        if not line.strip():
            continue
        day, time, title = line.split(" ", 2)
        found.append((title, datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=UTC)))
    return found


def test_every_parser_reads_the_dst_changes_of_berlin_and_new_york(client, person, tmp_path):
    expected = sorted(the_year(BERLIN) + the_year(NEW_YORK), key=lambda item: (item[1], item[0]))
    # The database's instants do carry the changes: 10:00 is 09:00 UTC in a Berlin winter,
    # 08:00 UTC in its summer; 10:00 in New York is 15:00 / 14:00 UTC.
    starts = dict(expected)
    assert [starts[f"{BERLIN} {label}"].hour for label in ("january", "july", "december")] == [
        9,
        8,
        9,
    ]
    assert [starts[f"{NEW_YORK} {label}"].hour for label in ("january", "july", "december")] == [
        15,
        14,
        15,
    ]
    feed = feed_of(person, include_rhythm=True)
    response = client.get(reverse("calendars:person_feed", args=[feed.token]))
    cal = parse(response)
    body = response.content.decode()
    assert "RDATE" not in body  # no multi-value lists, no single ones either (RRULE + DTSTART)
    ics = tmp_path / "feed.ics"
    ics.write_bytes(response.content)

    def ordered(items):
        return sorted(items, key=lambda item: (item[1], item[0]))

    assert ordered(by_icaljs(ics)) == expected
    assert ordered(by_recurring_ical_events(cal)) == expected
    assert by_icalendar_vtimezone(cal, expected) == expected
    assert ordered(by_khal(ics, tmp_path)) == expected


def _blocks(key: str, first_year: int) -> list[tuple[str, str, str, str, str]]:
    from kshare.core.vtimezone import vtimezone_for

    component = vtimezone_for(key, first_year=first_year)
    assert str(component["TZID"]) == key

    def text(value) -> str:
        raw = value.to_ical()
        return raw.decode() if isinstance(raw, bytes) else raw

    return [
        (
            block.name,
            text(block["DTSTART"]),
            text(block["TZOFFSETFROM"]),
            text(block["TZOFFSETTO"]),
            text(block["RRULE"]) if "RRULE" in block else "",
        )
        for block in component.subcomponents
    ]


def test_vtimezone_blocks_follow_the_rules_of_each_era():
    # New York from 2005: what was in force, the 2005 and 2006 changes one block each (the rule
    # before 2007), then the current rule as RRULEs.
    assert _blocks(NEW_YORK, 2005) == [
        ("STANDARD", "20041231T190000", "-0500", "-0500", ""),
        ("DAYLIGHT", "20050403T020000", "-0500", "-0400", ""),
        ("STANDARD", "20051030T020000", "-0400", "-0500", ""),
        ("DAYLIGHT", "20060402T020000", "-0500", "-0400", ""),
        ("STANDARD", "20061029T020000", "-0400", "-0500", ""),
        ("DAYLIGHT", "20070311T020000", "-0500", "-0400", "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"),
        ("STANDARD", "20071104T020000", "-0400", "-0500", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"),
    ]
    assert _blocks(BERLIN, 2026) == [
        ("STANDARD", "20260101T010000", "+0100", "+0100", ""),
        ("DAYLIGHT", "20260329T020000", "+0100", "+0200", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"),
        ("STANDARD", "20261025T030000", "+0200", "+0100", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"),
    ]
    # Southern hemisphere: summer time over the new year.
    assert _blocks("Australia/Sydney", 2026) == [
        ("DAYLIGHT", "20260101T110000", "+1100", "+1100", ""),
        ("DAYLIGHT", "20261004T020000", "+1000", "+1100", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=10"),
        ("STANDARD", "20260405T030000", "+1100", "+1000", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=4"),
    ]
    # No daylight saving: one block.
    assert _blocks("Asia/Tokyo", 2026) == [("STANDARD", "20260101T090000", "+0900", "+0900", "")]
