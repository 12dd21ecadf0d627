"""The slot finder in Chromium: htmx search, no-JS search, choosing a slot; axe on the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from kshare.people.models import Team
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.sessions.models import Session, State
from kshare.sessions.tests.factories import SessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

# The browser fixtures (Chromium, live server, axe) live beside the other browser tests.
browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe


@pytest.fixture
def session(server: str) -> Session:
    team = TeamFactory(name="Data", slug="data")
    host = PersonFactory(
        email="host@example.com", display_name="Hilde Host", timezone="Europe/Amsterdam"
    )
    host.set_password(PASSWORD)
    host.save()
    PersonFactory.create_batch(2, team=team, timezone="America/New_York")
    return SessionFactory(title="Typing Python", host=host)


def test_find_a_slot_with_htmx_and_choose_it(page: Page, server: str, session: Session, axe):
    sign_in(page, server, session.hosts.get())
    page.goto(f"{server}/sessions/{session.pk}/schedule/")
    finder = page.locator("#slot-finder")
    expect(finder.get_by_role("heading", name="Find a slot")).to_be_visible()
    assert axe(page) == ""
    finder.get_by_label("Length (minutes)").fill("60")
    finder.get_by_label("A team").check()
    finder.get_by_label("Team (optional)").select_option(label="Data")
    finder.get_by_role("button", name="Find slots").click()
    expect(
        finder.get_by_role("heading", name="Proposed slots for the Data team and the hosts")
    ).to_be_visible()
    assert page.url == f"{server}/sessions/{session.pk}/schedule/"  # swapped in place
    assert axe(page) == ""
    first = finder.get_by_role("button", name=re.compile(r"^Choose this slot")).first
    first.click()
    # The next step is inviting, with the team the slot was found for already ticked.
    team = Team.objects.get(slug="data")
    page.wait_for_url(f"{server}/sessions/{session.pk}/invite/?team={team.pk}")
    expect(
        page.get_by_text("Scheduled. Now invite the people the slot was found for.")
    ).to_be_visible()
    expect(page.get_by_role("checkbox", name="Data")).to_be_checked()
    session.refresh_from_db()
    assert session.state == State.SCHEDULED
    assert session.end - session.start == timedelta(minutes=60)
    page.get_by_role("button", name="Send invitations").click()
    page.wait_for_url(f"{server}/sessions/{session.pk}/invite/")
    assert sorted(session.invitations.values_list("person__team__slug", flat=True)) == [
        "data",
        "data",
    ]


def test_find_a_slot_without_javascript(browser: Browser, server: str, session: Session, axe):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server, session.hosts.get())
    page.goto(f"{server}/sessions/{session.pk}/schedule/")
    finder = page.locator("#slot-finder")
    finder.get_by_label("Everyone").check()
    finder.get_by_role("button", name="Find slots").click()
    page.wait_for_url(re.compile(r"/schedule/\?.*plan_for=everyone"))
    expect(page.get_by_role("heading", name="Proposed slots for everyone")).to_be_visible()
    finder.get_by_label("To").fill("2020-01-01")
    finder.get_by_role("button", name="Find slots").click()
    expect(
        finder.get_by_text("The end of the window must not be before its start.")
    ).to_be_visible()
    context.close()
