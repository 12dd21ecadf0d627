"""The week and month calendars and the rhythm pages in Chromium: axe (light and dark, wide and
phone-sized), the week collapsing to a list on a phone, cancelling an occurrence without JS."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from kshare.people.tests.factories import OrganiserFactory, TeamFactory
from kshare.scheduling.rhythm.models import RhythmException
from kshare.scheduling.rhythm.tests.factories import rhythm_event
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

# The browser fixtures (Chromium, live server, axe) live beside the other browser tests.
browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe


@pytest.fixture
def organiser(server: str):
    team = TeamFactory(name="Data", slug="data")
    person = OrganiserFactory(email="olga@example.com", team=team, timezone="Europe/Berlin")
    today = timezone.localdate(timezone=ZoneInfo("Europe/Berlin"))
    rhythm_event(
        name="Weekly Huddle", timezone="Europe/Berlin", start_date=today - timedelta(days=14)
    )
    rhythm_event(
        name="Data kick-off",
        rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        timezone="Europe/Berlin",
        start_date=today - timedelta(days=14),
        duration_minutes=15,
        team=team,
    )
    monday = today - timedelta(days=today.weekday())
    # Wednesday 14:00 in Berlin, this week (the organiser's week).
    start = datetime.combine(monday + timedelta(days=2), time(14), tzinfo=ZoneInfo("Europe/Berlin"))
    ScheduledSessionFactory(title="Intro to SQL", start=start)
    return person


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 1280), ("light", 390)])
def test_calendar_pages_pass_axe(browser: Browser, server: str, organiser, axe, scheme, width):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, server, organiser)
    event_pk = organiser.team.rhythm_events.get().pk
    problems = {}
    for url in [
        "/calendar/week/",
        "/calendar/month/",
        "/rhythm/",
        f"/rhythm/{event_pk}/",
        "/rhythm/new/",
    ]:
        page.goto(server + url)
        report = axe(page)
        if report:
            problems[url] = report
    context.close()
    assert problems == {}


def test_the_week_is_a_list_on_a_phone_and_seven_columns_on_a_desktop(
    browser: Browser, server: str, organiser
):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page, server, organiser)
    page.goto(server + "/calendar/week/")
    days = page.locator(".cal-week > li")
    expect(days).to_have_count(7)
    first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
    assert first is not None and second is not None
    assert second["y"] > first["y"] and second["x"] == first["x"]  # one column
    page.set_viewport_size({"width": 1280, "height": 800})
    first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
    assert first is not None and second is not None
    assert second["x"] > first["x"] and second["y"] == first["y"]  # side by side
    session = page.locator(".cal-session").first
    expect(session.locator(".cal-label")).to_have_text("Knowledge sharing")
    expect(page.locator(".cal-rhythm .cal-label").first).to_have_text("Information sharing")
    context.close()


def test_cancel_an_occurrence_without_javascript(browser: Browser, server: str, organiser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server, organiser)
    page.goto(server + "/rhythm/")
    page.get_by_role("link", name="Weekly Huddle").click()
    page.get_by_role("link", name="Cancel the occurrence of").first.click()
    page.get_by_label("Reason").fill("Offsite")
    page.get_by_role("button", name="Cancel this occurrence").click()
    expect(page.locator(".message-success")).to_have_text("That occurrence is cancelled.")
    expect(page.locator(".occurrence-cancelled")).to_have_count(1)
    assert list(RhythmException.objects.values_list("cancelled", "note")) == [(True, "Offsite")]
    page.get_by_role("button", name="Restore the occurrence of").click()
    expect(page.locator(".occurrence-cancelled")).to_have_count(0)
    assert RhythmException.objects.count() == 0
    context.close()
