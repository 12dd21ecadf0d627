"""The catch-up feed in Chromium: axe, mark as watched and undo with htmx, the session page box."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from kshare.library.models import CatchUpSignal
from kshare.library.tests.factories import LinkMaterialFactory, MaterialFactory
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import InvitationFactory, PastSessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe


@pytest.fixture
def absentee(server: str):
    person = PersonFactory(email="mia@example.com", display_name="Mia", timezone="Europe/Berlin")
    pandas = TagFactory(name="pandas")
    person.interests.add(pandas)
    for days, title in [(3, "Pandas tricks"), (10, "SQL window functions")]:
        session = PastSessionFactory(
            title=title, start=(timezone.now() - timedelta(days=days)).replace(microsecond=0)
        )
        InvitationFactory(session=session, person=person, response="maybe")
        MaterialFactory(session=session, title="Notes", notes="## Summary\n\nWe learned a lot.")
    tagged = PastSessionFactory(
        title="Polars for pandas users",
        start=(timezone.now() - timedelta(days=20)).replace(microsecond=0),
    )
    tagged.tags.add(pandas)
    LinkMaterialFactory(session=tagged, title="Slides")
    return person


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 1280), ("light", 390)])
def test_catch_up_page_passes_axe(browser: Browser, server: str, absentee, axe, scheme, width):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, server, absentee)
    page.goto(server + "/library/catch-up/")
    report = axe(page)
    context.close()
    assert report == ""


def test_mark_as_watched_and_undo_without_reloading(browser: Browser, server: str, absentee):
    page = browser.new_page()
    sign_in(page, server, absentee)
    page.goto(server + "/library/catch-up/")
    cards = page.locator("#catchup-list > li")
    expect(cards.locator("h3")).to_have_text(
        ["Pandas tricks", "SQL window functions", "Polars for pandas users"]
    )
    expect(cards.nth(2)).to_contain_text("Matches your interest: pandas")
    page.evaluate("window.notReloaded = true")

    cards.nth(0).get_by_role("button", name="Mark as watched").click()

    expect(cards.nth(0)).to_have_text(
        "“Pandas tricks” is marked as watched. Undo for “Pandas tricks”"
    )
    assert CatchUpSignal.objects.filter(kind="watched").count() == 1
    cards.nth(0).get_by_role("button", name="Undo").click()
    expect(cards.nth(0).locator("h3")).to_have_text("Pandas tricks")
    assert CatchUpSignal.objects.count() == 0
    assert page.evaluate("window.notReloaded") is True

    # The card's title leads to the session's materials; the box there marks it too.
    cards.nth(1).locator("h3 a").click()
    expect(page.locator("#materials")).to_be_visible()
    assert page.url.endswith("#materials")
    page.locator("#catchup-box").get_by_role("button", name="Mark as watched").click()
    expect(page.locator("#catchup-box")).to_contain_text("You marked this session as watched.")
    page.goto(server + "/library/catch-up/")
    expect(page.locator("#catchup-list > li h3")).to_have_text(
        ["Pandas tricks", "Polars for pandas users"]
    )
