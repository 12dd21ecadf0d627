"""The flow people live in: propose a session, schedule it, find it; others see but cannot edit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Format, Session, State, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

BERLIN = ZoneInfo("Europe/Berlin")  # PersonFactory's timezone: forms read times in it


def _in_days(days: int, *, hours: int = 0) -> datetime:
    """A whole minute ``days`` (and ``hours``) from now, in the signed-in person's timezone."""
    # Add in UTC, then convert: the result is always a real local time, even around DST changes.
    moment = (timezone.now() + timedelta(days=days, hours=hours)).astimezone(BERLIN)
    return moment.replace(second=0, microsecond=0)


def _local_input(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _propose(page: Page, server: str, *, title: str, abstract: str, format_label: str) -> None:
    page.goto(f"{server}/sessions/propose/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Abstract").fill(abstract)
    page.get_by_label(format_label, exact=True).check()
    page.get_by_role("button", name="Propose session").click()


def _schedule(page: Page, start: datetime) -> None:
    page.get_by_role("link", name="Schedule", exact=True).click()
    page.get_by_label("Starts").fill(_local_input(start))
    page.get_by_role("button", name="Schedule", exact=True).click()


def test_member_proposes_schedules_and_finds_the_session_others_see_it_but_cannot_edit(
    page: Page, new_context, server: str
) -> None:
    host = PersonFactory(display_name="Hana Host")
    other = PersonFactory(display_name="Otto Other")
    secret = ScheduledSessionFactory(title="Board prep", visibility=Visibility.INVITE_ONLY)

    sign_in(page, server, host)
    page.get_by_role("link", name="Propose a session").first.click()
    expect(page).to_have_url(f"{server}/sessions/propose/")
    page.get_by_label("Title").fill("Testing with Playwright")
    page.get_by_label("Abstract").fill("Drive a real browser from **pytest**.")
    page.get_by_label("Workshop · 90 min", exact=True).check()
    page.get_by_role("button", name="Propose session").click()

    session = Session.objects.get(title="Testing with Playwright")
    expect(page).to_have_url(f"{server}/sessions/{session.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Testing with Playwright")
    expect(page.locator(".message-success")).to_have_text(
        "Thanks! Your session is proposed. Schedule it when you have a slot."
    )
    assert (session.state, session.format) == (State.PROPOSED, Format.WORKSHOP)

    start = _in_days(20).replace(hour=15, minute=0)
    _schedule(page, start)
    expect(page).to_have_url(f"{server}/sessions/{session.pk}/")
    expect(page.locator(".message-success")).to_have_text(
        "Scheduled. It now appears on the upcoming list."
    )
    expect(page.locator(".message-warning")).to_have_count(0)
    expect(page.locator(".when")).to_have_text(start.strftime("%A %-d %B %Y"))
    expect(page.locator(".when-sub")).to_have_text("15:00\u201316:30 (Europe/Berlin)")
    session.refresh_from_db()
    assert (session.state, session.start) == (State.SCHEDULED, start)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    expect(page).to_have_url(f"{server}/sessions/")
    titles = page.locator(".session-item h3")
    expect(titles).to_have_text(["Testing with Playwright"])
    titles.get_by_role("link", name="Testing with Playwright").click()
    expect(page).to_have_url(f"{server}/sessions/{session.pk}/")

    # Someone else, in their own browser: can read it, cannot change it, never sees the secret.
    other_page = new_context().new_page()
    sign_in(other_page, server, other)
    response = other_page.goto(f"{server}/sessions/{session.pk}/edit/")
    assert response is not None and response.status == 403
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Not allowed")

    response = other_page.goto(f"{server}/sessions/{session.pk}/")
    assert response is not None and response.status == 200
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Testing with Playwright")
    expect(other_page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    response = other_page.goto(f"{server}/sessions/{secret.pk}/")
    assert response is not None and response.status == 404
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Not found")

    other_page.goto(f"{server}/sessions/")
    expect(other_page.locator(".session-item h3")).to_have_text(["Testing with Playwright"])


def test_scheduling_inside_the_lead_time_shows_a_warning(page: Page, server: str) -> None:
    host = PersonFactory()
    sign_in(page, server, host)
    _propose(page, server, title="Short notice", abstract="", format_label="Talk · 45 min")
    expect(page.get_by_role("heading", level=1)).to_have_text("Short notice")

    start = _in_days(3, hours=12)
    if (start + timedelta(minutes=45)).astimezone(UTC).date() != start.astimezone(UTC).date():
        # A session ends on the day it starts in the installation's zone (UTC here): between
        # 11:15 and 12:00 UTC, twelve hours on would end after midnight and be refused.
        start = _in_days(3, hours=6)
    _schedule(page, start)

    expect(page.locator(".message-warning")).to_have_text(
        "Only 3 days until the session: Knowledge Sharing invites people at least 14 days ahead."
    )
    expect(page.locator(".message-success")).to_have_text(
        "Scheduled. It now appears on the upcoming list."
    )
    assert Session.objects.get(title="Short notice").state == State.SCHEDULED


def test_core_flow_works_without_javascript(new_context, server: str) -> None:
    page = new_context(java_script_enabled=False).new_page()
    host = PersonFactory()
    sign_in(page, server, host)
    assert page.evaluate("typeof window.htmx") == "undefined"  # the site's scripts did not run

    _propose(
        page,
        server,
        title="No script needed",
        abstract="Plain HTML forms.",
        format_label="Talk · 45 min",
    )
    session = Session.objects.get(title="No script needed")
    expect(page).to_have_url(f"{server}/sessions/{session.pk}/")

    _schedule(page, _in_days(30).replace(hour=10, minute=30))
    expect(page.locator(".message-success")).to_have_text(
        "Scheduled. It now appears on the upcoming list."
    )
    page.goto(f"{server}/sessions/")
    expect(page.locator(".session-item h3")).to_have_text(["No script needed"])
    session.refresh_from_db()
    assert session.state == State.SCHEDULED
