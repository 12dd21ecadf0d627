"""Rhythm events that skip holidays, and the company's closure days page (issue 14)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
import recurring_ical_events
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from kshare.calendars.models import CalendarFeed
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.scheduling.rhythm.models import ClosureDay, RhythmEvent
from kshare.scheduling.rhythm.selectors import rhythm_event_schedule, rhythm_occurrences

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _next_january_4() -> date:
    """4 January of next year: always inside the feed's holiday window (13 months ahead)."""
    return date(timezone.localdate().year + 1, 1, 4)


def _daily_standup(*, skip: bool, country: str = "DE", subdivision: str = "BY") -> RhythmEvent:
    first = _next_january_4()
    return RhythmEvent.objects.create(
        name="Stand-up",
        rrule="FREQ=DAILY",
        starts=datetime(first.year, 1, 4, 9, 30, tzinfo=BERLIN).astimezone(UTC),
        duration_minutes=15,
        timezone="Europe/Berlin",
        skip_holidays=skip,
        holiday_country=country,
        holiday_subdivision=subdivision,
    )


def _feed_days(client, person) -> list[date]:
    feed = CalendarFeed.objects.create(person=person, include_rhythm=True)
    response = client.get(reverse("calendars:person_feed", args=[feed.token]))
    assert response.status_code == 200
    cal = Calendar.from_ical(response.content)
    year = _next_january_4().year
    found = recurring_ical_events.of(cal).between(date(year, 1, 4), date(year, 1, 9))
    return sorted(event.decoded("DTSTART").astimezone(BERLIN).date() for event in found)


def test_the_feed_skips_epiphany_in_bavaria_for_an_event_that_skips_holidays(client):
    year = _next_january_4().year
    event = _daily_standup(skip=True)
    days = _feed_days(client, PersonFactory())
    assert days == [date(year, 1, 4), date(year, 1, 5), date(year, 1, 7), date(year, 1, 8)]
    feed = CalendarFeed.objects.filter(include_rhythm=True).get()
    response = client.get(reverse("calendars:person_feed", args=[feed.token]))
    [series] = Calendar.from_ical(response.content).walk("VEVENT")
    exdates = [d.dt for d in series["EXDATE"].dts]
    assert [d for d in exdates if d.month == 1 and d.year == year] == [
        datetime(year, 1, 6, 9, 30, tzinfo=BERLIN)  # Epiphany; 1 January is before the start
    ]
    event.skip_holidays = False
    event.save()
    assert _feed_days(client, PersonFactory()) == [date(year, 1, d) for d in range(4, 9)]


def test_without_a_country_only_the_closure_days_are_skipped(client):
    year = _next_january_4().year
    _daily_standup(skip=True, country="", subdivision="")
    assert _feed_days(client, PersonFactory()) == [date(year, 1, d) for d in range(4, 9)]
    ClosureDay.objects.create(month=1, day=5, year=year, name="Bridge day")
    assert _feed_days(client, PersonFactory()) == [
        date(year, 1, 4),
        date(year, 1, 6),
        date(year, 1, 7),
        date(year, 1, 8),
    ]


def test_occurrences_and_the_organisers_list_honour_the_flag(client):
    year = _next_january_4().year
    event = _daily_standup(skip=True)
    after = datetime(year, 1, 4, tzinfo=BERLIN)
    found = rhythm_occurrences(after=after, before=after + timedelta(days=5))
    assert [o.start.astimezone(BERLIN).day for o in found] == [4, 5, 7, 8]
    with_cancelled = rhythm_occurrences(
        after=after, before=after + timedelta(days=5), include_cancelled=True
    )
    assert [(o.start.astimezone(BERLIN).day, o.cancelled, o.note) for o in with_cancelled] == [
        (4, False, ""),
        (5, False, ""),
        (6, True, "Epiphany"),
        (7, False, ""),
        (8, False, ""),
    ]
    schedule = rhythm_event_schedule(event=event, after=after, limit=3)
    assert [(o.start.astimezone(BERLIN).day, o.holiday, o.note) for o in schedule] == [
        (4, False, ""),
        (5, False, ""),
        (6, True, "Epiphany"),
    ]


def test_organisers_set_the_flag_and_the_holiday_calendar_on_the_form(client):
    organiser = OrganiserFactory(timezone="Europe/Berlin")
    client.force_login(organiser)
    data = {
        "name": "Stand-up",
        "preset": "weekdays",
        "start_date": "2027-01-04",
        "start_time": "09:30",
        "duration_minutes": "15",
        "timezone": "Europe/Berlin",
        "skip_holidays": "on",
        "holiday_country": "DE",
        "holiday_subdivision": "xx",
    }
    response = client.post(reverse("rhythm:create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["holiday_subdivision"] == [
        "DE has no region “XX”; its regions include BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP "
        "and SH."
    ]
    response = client.post(reverse("rhythm:create"), data | {"holiday_subdivision": "by"})
    assert response.status_code == 302
    event = RhythmEvent.objects.get()
    assert (event.skip_holidays, event.holiday_country, event.holiday_subdivision) == (
        True,
        "DE",
        "BY",
    )


@pytest.mark.usefixtures("closure_days_as_installed")
def test_closure_days_are_listed_for_everyone_and_kept_by_organisers(client):
    client.force_login(PersonFactory())
    url = reverse("rhythm:closures")
    html = client.get(url).content.decode()
    for name in ("Christmas Eve", "Christmas Day", "New Year&#x27;s Eve", "New Year&#x27;s Day"):
        assert name in html
    assert client.post(url, {"name": "Retreat", "day": "3", "month": "6"}).status_code == 403
    christmas_eve = ClosureDay.objects.get(month=12, day=24)
    delete = reverse("rhythm:closure_delete", args=[christmas_eve.pk])
    assert client.post(delete).status_code == 403

    client.force_login(OrganiserFactory())
    response = client.post(url, {"name": "Company retreat", "day": "3", "month": "6"})
    assert response.status_code == 302
    assert ClosureDay.objects.filter(name="Company retreat", month=6, day=3, year=None).exists()
    response = client.post(url, {"name": "Bridge", "day": "31", "month": "4", "year": "2027"})
    assert response.context["form"].errors["day"] == ["That day does not exist in that month."]
    response = client.post(url, {"name": "Again", "day": "24", "month": "12"})
    assert response.context["form"].non_field_errors() == [
        "That day is a closure day every year already."
    ]
    client.force_login(AdminFactory())
    assert client.post(delete).status_code == 302  # the company works on 24 December
    assert not ClosureDay.objects.filter(month=12, day=24).exists()
