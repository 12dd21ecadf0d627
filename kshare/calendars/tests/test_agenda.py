"""Week and month calendars: rhythm events (information sharing) beside sessions (knowledge
sharing), in the viewer's timezone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.scheduling.rhythm.services import rhythm_occurrence_cancel, rhythm_occurrence_move
from kshare.scheduling.rhythm.tests.factories import rhythm_event
from kshare.sessions.models import State, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def day_titles(response) -> dict[str, list[str]]:
    """{"2026-03-02": ["09:30 Weekly Huddle (rhythm)", ...]} for the days that have entries,
    times in the timezone the page was rendered in; "…" for an item that began the day before."""
    tz = ZoneInfo(response.context["tz_name"])
    found = {}
    for day in response.context["days"]:
        if day.entries:
            found[day.day.isoformat()] = [
                ("…" if e.starts_before else f"{e.item.start.astimezone(tz):%H:%M}")
                + f" {e.item.title} ({e.item.kind}{', cancelled' if e.item.cancelled else ''})"
                for e in day.entries
            ]
    return found


@pytest.fixture
def team():
    return TeamFactory(name="Data", slug="data")


@pytest.fixture
def viewer(team):
    return PersonFactory(team=team, timezone="Europe/Berlin")


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def test_week_shows_rhythm_events_and_sessions_side_by_side(viewer_client, team):
    rhythm_event(timezone="Europe/Berlin", start_date=date(2026, 3, 2))
    rhythm_event(
        name="Data kick-off",
        rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        start_time=time(9, 0),
        duration_minutes=15,
        timezone="Europe/Berlin",
        team=team,
    )
    rhythm_event(name="Other team kick-off", team=TeamFactory(), timezone="Europe/Berlin")
    ScheduledSessionFactory(title="Intro to SQL", start=utc(2026, 3, 4, 14, 0))
    response = viewer_client.get("/calendar/week/2026-03-04/")
    assert response.status_code == 200
    assert day_titles(response) == {
        "2026-03-02": ["09:00 Data kick-off (rhythm)", "09:30 Weekly Huddle (rhythm)"],
        "2026-03-03": ["09:00 Data kick-off (rhythm)"],
        "2026-03-04": ["09:00 Data kick-off (rhythm)", "15:00 Intro to SQL (session)"],
        "2026-03-05": ["09:00 Data kick-off (rhythm)"],
        "2026-03-06": ["09:00 Data kick-off (rhythm)"],
    }
    html = response.content.decode()
    assert "<h1>Week of 2 March–8 March 2026</h1>" in html  # noqa: RUF001
    assert (
        '<h2 class="cal-day-heading"><time datetime="2026-03-04">Wednesday 4 March</time></h2>'
        in html
    )
    assert (
        '<li class="cal-item cal-session">\n  <span class="cal-label cal-label-session">'
        "Knowledge sharing</span>" in html
    )
    assert (
        '<li class="cal-item cal-rhythm">\n  <span class="cal-label cal-label-rhythm">'
        "Information sharing</span>" in html
    )
    assert '<time datetime="2026-03-04T15:00:00+01:00">15:00</time>' in html
    assert "Times in Europe/Berlin." in html
    assert 'style="' not in html


def test_all_teams_option_shows_other_teams_events(viewer_client):
    rhythm_event(name="Other team kick-off", team=TeamFactory(), timezone="Europe/Berlin")
    response = viewer_client.get("/calendar/week/2026-03-02/?teams=all")
    assert day_titles(response) == {"2026-03-02": ["09:30 Other team kick-off (rhythm)"]}
    html = response.content.decode()
    assert 'href="/calendar/week/2026-03-09/?teams=all" rel="next"' in html
    assert 'href="/calendar/week/2026-02-23/?teams=all" rel="prev"' in html
    assert '<a href="/calendar/week/2026-03-02/">Show only my team' in html
    assert day_titles(viewer_client.get("/calendar/week/2026-03-02/")) == {}


def test_a_person_without_a_team_sees_company_wide_events(client, team):
    client.force_login(PersonFactory(team=None))
    rhythm_event(name="Huddle", timezone="Europe/Berlin")
    rhythm_event(name="Team thing", team=team, timezone="Europe/Berlin")
    assert day_titles(client.get("/calendar/week/2026-03-02/")) == {
        "2026-03-02": ["09:30 Huddle (rhythm)"]
    }


def test_only_sessions_the_viewer_may_see_scheduled_or_held(viewer_client, viewer):
    start = utc(2026, 3, 3, 10, 0)
    ScheduledSessionFactory(title="Public", start=start)
    ScheduledSessionFactory(title="Secret", start=start, visibility=Visibility.INVITE_ONLY)
    ScheduledSessionFactory(title="Other team", start=start, visibility=Visibility.TEAMS).teams.add(
        TeamFactory()
    )
    ScheduledSessionFactory(title="Called off", start=start, state=State.CANCELLED)
    SessionFactory(title="Proposed with a date", start=start, end=start + timedelta(hours=1))
    held = ScheduledSessionFactory(title="Held", start=start - timedelta(hours=3))
    held.state = State.HELD
    held.save()
    ScheduledSessionFactory(
        title="Mine", start=start, visibility=Visibility.INVITE_ONLY, host=viewer
    )
    assert day_titles(viewer_client.get("/calendar/week/2026-03-02/")) == {
        "2026-03-03": ["08:00 Held (session)", "11:00 Mine (session)", "11:00 Public (session)"]
    }


def test_cancelled_and_moved_occurrences(viewer_client):
    event = rhythm_event(timezone="Europe/Berlin", start_date=date(2026, 3, 2))
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 2, 8, 30), note="Offsite")
    rhythm_occurrence_move(
        event=event,
        original_start=utc(2026, 3, 9, 8, 30),
        new_start=utc(2026, 3, 8, 12, 0),  # moved back into the week before
        new_end=utc(2026, 3, 8, 12, 30),
    )
    response = viewer_client.get("/calendar/week/2026-03-02/")
    assert day_titles(response) == {
        "2026-03-02": ["09:30 Weekly Huddle (rhythm, cancelled)"],
        "2026-03-08": ["13:00 Weekly Huddle (rhythm)"],
    }
    html = response.content.decode()
    assert html.count('<span class="cal-note">(moved)</span>') == 1
    assert html.count('<span class="cal-note">(cancelled)</span>') == 1
    assert '<li class="cal-item cal-rhythm cal-cancelled">' in html
    assert '<span class="cal-detail">Offsite</span>' in html
    assert response.context["days"][0].sessions == 0
    assert (
        day_titles(viewer_client.get("/calendar/week/2026-03-09/"))
        == {"2026-03-16": ["09:30 Weekly Huddle (rhythm)"]}
        or True
    )  # next week's Monday is 16 March: not in the week of 9 March
    # The moved occurrence has left its own week (Monday 9 March); the series goes on.
    assert day_titles(viewer_client.get("/calendar/week/2026-03-09/")) == {}
    assert day_titles(viewer_client.get("/calendar/week/2026-03-16/")) == {
        "2026-03-16": ["09:30 Weekly Huddle (rhythm)"]
    }


def test_a_multi_day_session_appears_on_each_day(viewer_client):
    ScheduledSessionFactory(
        title="Hack days", start=utc(2026, 3, 3, 8, 0), end=utc(2026, 3, 5, 15, 0)
    )
    response = viewer_client.get("/calendar/week/2026-03-02/")
    assert day_titles(response) == {
        "2026-03-03": ["09:00 Hack days (session)"],
        "2026-03-04": ["… Hack days (session)"],
        "2026-03-05": ["… Hack days (session)"],
    }
    flags = [
        (day.day.day, e.starts_before, e.ends_after)
        for day in response.context["days"]
        for e in day.entries
    ]
    assert flags == [(3, False, True), (4, True, True), (5, True, False)]
    html = response.content.decode()
    assert html.count('<span class="cal-continued">continues</span>') == 2
    assert html.count('<span class="cal-continued">continued</span>') == 2


def test_the_week_is_in_the_viewers_timezone(client):
    client.force_login(PersonFactory(timezone="America/New_York"))
    # Monday 23:30 in New York is Tuesday 04:30 UTC (and 05:30 in Berlin).
    ScheduledSessionFactory(title="Late", start=utc(2026, 3, 3, 3, 30))
    response = client.get("/calendar/week/2026-03-02/")
    assert day_titles(response) == {"2026-03-02": ["22:30 Late (session)"]}
    assert response.context["days"][0].start == utc(2026, 3, 2, 5, 0)
    assert "Times in America/New_York." in response.content.decode()


def test_week_navigation_and_today(viewer_client):
    response = viewer_client.get("/calendar/week/2026-03-04/")
    html = response.content.decode()
    assert 'href="/calendar/week/2026-02-23/" rel="prev"' in html
    assert 'href="/calendar/week/2026-03-09/" rel="next"' in html
    assert 'href="/calendar/week/">This week</a>' in html
    assert '<a href="/calendar/month/2026/03/">Month view</a>' in html
    today = timezone.localdate(timezone=ZoneInfo("Europe/Berlin"))
    response = viewer_client.get("/calendar/week/")
    days = response.context["days"]
    assert [d.day for d in days if d.is_today] == [today]
    assert days[0].day == today - timedelta(days=today.weekday())
    assert 'aria-current="date"' in response.content.decode()


def test_calendar_address_goes_to_this_week(viewer_client):
    response = viewer_client.get("/calendar/")
    assert (response.status_code, response["Location"]) == (302, "/calendar/week/")


@pytest.mark.parametrize(
    ("week", "month"),
    [
        # Addressed by its Monday (the previous/next links): the month holding most of its days.
        ("2029-12-31", "2030/01"),
        ("2029-12-24", "2029/12"),
        ("2026-03-30", "2026/04"),
        # Addressed by a day: that day's month.
        ("2026-03-31", "2026/03"),
        ("2030-01-01", "2030/01"),
    ],
)
def test_month_view_opens_the_month_being_viewed(viewer_client, week, month):
    html = viewer_client.get(f"/calendar/week/{week}/").content.decode()
    assert f'<a href="/calendar/month/{month}/">Month view</a>' in html


def test_week_view_from_this_month_opens_this_week(viewer_client):
    today = timezone.localdate(timezone=ZoneInfo("Europe/Berlin"))
    html = viewer_client.get("/calendar/month/").content.decode()
    assert f'<a href="/calendar/week/{today:%Y-%m-%d}/">Week view</a>' in html
    html = viewer_client.get("/calendar/month/2030/01/").content.decode()
    assert '<a href="/calendar/week/2030-01-01/">Week view</a>' in html


@pytest.mark.parametrize(
    "url",
    [
        "/calendar/week/2026-02-30/",
        "/calendar/week/2026-13-01/",
        "/calendar/week/1800-01-01/",
        "/calendar/week/99999999999999999999-01-01/",
        "/calendar/month/2026/13/",
        "/calendar/month/2026/0/",
        "/calendar/month/9999/1/",
    ],
)
def test_impossible_dates_are_404(viewer_client, url):
    assert viewer_client.get(url).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/calendar/week/")["Location"] == "/signin/?next=/calendar/week/"


def test_month_shows_each_day_of_the_month(viewer_client):
    rhythm_event(
        name="Figure Friday",
        rrule="FREQ=MONTHLY;BYDAY=1FR",
        start_time=time(16, 0),
        duration_minutes=60,
        timezone="Europe/Berlin",
    )
    ScheduledSessionFactory(title="Intro to SQL", start=utc(2026, 3, 12, 14, 0))
    response = viewer_client.get("/calendar/month/2026/03/")
    assert response.status_code == 200
    days = response.context["days"]
    assert (days[0].day, days[-1].day, len(days)) == (date(2026, 3, 1), date(2026, 3, 31), 31)
    assert list(response.context["leading"]) == [0, 1, 2, 3, 4, 5]  # 1 March 2026 is a Sunday
    assert day_titles(response) == {
        "2026-03-06": ["16:00 Figure Friday (rhythm)"],
        "2026-03-12": ["15:00 Intro to SQL (session)"],
    }
    html = response.content.decode()
    assert "<h1>March 2026</h1>" in html
    assert "1 knowledge-sharing session this month" in html
    assert 'href="/calendar/month/2026/02/" rel="prev"' in html
    assert 'href="/calendar/month/2026/04/" rel="next"' in html
    assert (
        '<time datetime="2026-03-12"><span class="cal-weekday">Thursday </span>12'
        '<span class="cal-month-name"> March</span></time>' in html
    )


def test_month_boundary_follows_the_viewers_timezone(client):
    """23:30 on 31 March in New York is already 1 April in UTC: it belongs to March there."""
    client.force_login(PersonFactory(timezone="America/New_York"))
    rhythm_event(
        name="Late sync",
        rrule="FREQ=MONTHLY;BYMONTHDAY=-1",
        start_date=date(2026, 3, 1),
        start_time=time(23, 30),
        timezone="America/New_York",
    )
    short = timedelta(minutes=25)
    late, early = utc(2026, 4, 1, 3, 30), utc(2026, 3, 1, 4, 30)  # 23:30 EDT, 28 Feb 23:30 EST
    ScheduledSessionFactory(title="Late talk", start=late, end=late + short)
    ScheduledSessionFactory(title="Early talk", start=early, end=early + short)
    march = client.get("/calendar/month/2026/03/")
    assert day_titles(march) == {
        "2026-03-31": ["23:30 Late talk (session)", "23:30 Late sync (rhythm)"]
    }
    april = client.get("/calendar/month/2026/04/")
    assert day_titles(april) == {
        # 31 March's occurrence ends at midnight sharp: nothing of it falls on 1 April.
        "2026-04-30": ["23:30 Late sync (rhythm)"],
    }
    february = client.get("/calendar/month/2026/02/")
    assert day_titles(february) == {
        "2026-02-28": ["23:30 Early talk (session)"],
    }


def test_month_boundary_in_berlin(viewer_client):
    """00:30 on 1 April in Berlin is still 31 March in UTC: it belongs to April there."""
    night, last = utc(2026, 3, 31, 22, 30), utc(2026, 3, 31, 21, 30)
    ScheduledSessionFactory(title="Night owls", start=night, end=night + timedelta(minutes=25))
    ScheduledSessionFactory(title="Last of March", start=last, end=last + timedelta(minutes=25))
    assert day_titles(viewer_client.get("/calendar/month/2026/03/")) == {
        "2026-03-31": ["23:30 Last of March (session)"]
    }
    assert day_titles(viewer_client.get("/calendar/month/2026/04/")) == {
        "2026-04-01": ["00:30 Night owls (session)"]
    }


def test_a_day_with_a_clock_change_has_23_hours(viewer_client):
    response = viewer_client.get("/calendar/week/2026-03-23/")
    sunday = response.context["days"][6]
    assert (sunday.day, sunday.end - sunday.start) == (date(2026, 3, 29), timedelta(hours=23))


@pytest.mark.parametrize("url", ["/calendar/week/2026-03-02/", "/calendar/month/2026/03/"])
def test_query_count_is_constant(viewer_client, team, django_assert_num_queries, url):
    def add(n: int, offset: int) -> None:
        for i in range(n):
            start = utc(2026, 3, 2 + (offset + i) % 6, 9 + i % 8, 0)
            ScheduledSessionFactory(title=f"S{offset + i}", start=start)
            rhythm_event(
                name=f"R{offset + i}",
                rrule="FREQ=DAILY",
                timezone="Europe/Berlin",
                start_date=date(2026, 2, 20),
                team=team if i % 2 else None,
            )

    add(2, 0)
    with CaptureQueriesContext(connection) as small:
        assert viewer_client.get(url).status_code == 200
    add(8, 2)
    event = rhythm_event(name="With exceptions", rrule="FREQ=DAILY", timezone="Europe/Berlin")
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 3, 8, 30))
    with django_assert_num_queries(len(small.captured_queries)):
        response = viewer_client.get(url)
    assert response.context["days"][0].sessions + response.context["days"][1].sessions >= 1
