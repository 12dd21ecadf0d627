"""Builders shared by the feed, iCalendar, star and khal tests."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from kshare.calendars.models import CalendarFeed
from kshare.scheduling.rhythm.models import RhythmEvent, RhythmException


def local(tz_name: str, day: date, hour: int, minute: int = 0) -> datetime:
    """Wall-clock time ``hour:minute`` on ``day`` in ``tz_name``, as an aware UTC datetime."""
    return datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=zoneinfo.ZoneInfo(tz_name)
    ).astimezone(UTC)


def weekly_huddle(
    *,
    tz_name: str,
    first_monday: date,
    cancelled: date | None = None,
    moved: tuple[date, date, int] | None = None,
    team=None,
    name: str = "Weekly Huddle",
) -> RhythmEvent:
    """A Monday 09:30-10:00 rhythm event in ``tz_name``; ``cancelled``: the Monday skipped
    (EXDATE); ``moved``: (Monday, new day, new hour) — the occurrence moved there for 30 min."""
    event = RhythmEvent.objects.create(
        name=name,
        rrule="FREQ=WEEKLY;BYDAY=MO",
        starts=local(tz_name, first_monday, 9, 30),
        duration_minutes=30,
        timezone=tz_name,
        team=team,
    )
    if cancelled is not None:
        RhythmException.objects.create(
            event=event, original_start=local(tz_name, cancelled, 9, 30), cancelled=True
        )
    if moved is not None:
        monday, new_day, new_hour = moved
        start = local(tz_name, new_day, new_hour)
        RhythmException.objects.create(
            event=event,
            original_start=local(tz_name, monday, 9, 30),
            new_start=start,
            new_end=start + timedelta(minutes=30),
            note="Moved for the offsite",
        )
    return event


def feed_of(person, *, include_rhythm: bool = False) -> CalendarFeed:
    return CalendarFeed.objects.create(person=person, include_rhythm=include_rhythm)


def parse(response) -> Calendar:
    """The response body as a calendar; fails on anything that is not one VCALENDAR."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(cal: Calendar) -> list:
    return list(cal.walk("VEVENT"))


def summaries(cal: Calendar) -> list[str]:
    return [str(event["SUMMARY"]) for event in events(cal)]
