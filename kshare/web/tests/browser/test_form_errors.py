"""Bad input is answered next to the field it concerns, never with a 500."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Session
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _field(page: Page, input_id: str) -> Locator:
    """The ``.field`` wrapper around an input: its label, help and errors live there."""
    return page.locator(".field").filter(has=page.locator(f"#{input_id}"))


def test_propose_without_title_shows_the_error_next_to_the_title(page: Page, server: str) -> None:
    sign_in(page, server, PersonFactory())
    page.goto(f"{server}/sessions/propose/")
    page.get_by_label("Abstract").fill("Kept after the error.")
    page.get_by_role("button", name="Propose session").click()

    expect(page).to_have_url(f"{server}/sessions/propose/")
    expect(page.locator("#form-errors")).to_contain_text("Please correct the 1 problem below.")
    expect(_field(page, "id_title").locator(".errorlist")).to_have_text("This field is required.")
    expect(page.locator("#id_title")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Abstract")).to_have_value("Kept after the error.")
    assert Session.objects.count() == 0


def test_propose_with_negative_capacity_shows_the_error_next_to_capacity(
    page: Page, server: str
) -> None:
    sign_in(page, server, PersonFactory())
    page.goto(f"{server}/sessions/propose/")
    page.get_by_label("Title").fill("Crowded")
    page.get_by_text("More details (optional)").click()
    page.get_by_label("Capacity").fill("-1")
    page.get_by_role("button", name="Propose session").click()

    expect(page).to_have_url(f"{server}/sessions/propose/")
    expect(_field(page, "id_capacity").locator(".errorlist")).to_have_text(
        "Capacity must be at least 1, or empty for no limit."
    )
    # The folded part opens by itself so the error is not hidden.
    expect(page.get_by_label("Capacity")).to_be_visible()
    assert Session.objects.count() == 0


def test_edit_with_end_before_start_shows_the_error_next_to_the_end(
    page: Page, server: str
) -> None:
    host = PersonFactory()
    session = ScheduledSessionFactory(title="Timing", host=host)
    sign_in(page, server, host)
    page.goto(f"{server}/sessions/{session.pk}/edit/")
    start = session.start.astimezone(ZoneInfo(host.timezone))
    expect(page.get_by_label("Starts")).to_have_value(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends").fill((start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{server}/sessions/{session.pk}/edit/")
    expect(_field(page, "id_end").locator(".errorlist")).to_have_text(
        "The end must be after the start."
    )
    old_end = session.end
    session.refresh_from_db()
    assert session.end == old_end
