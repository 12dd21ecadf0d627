"""Topic requests as people use them: ask, +1, volunteer, propose in one step."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Session, State
from kshare.topics.models import TopicRequest, TopicVolunteer, TopicVote
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_request_plus_one_volunteer_and_propose_as_a_session(
    page: Page, new_context, server: str
) -> None:
    asker = PersonFactory(display_name="Ada Asker")
    host = PersonFactory(display_name="Hugo Host")

    sign_in(page, server, asker)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Topics").click()
    page.get_by_role("link", name="Request a topic").first.click()
    page.get_by_label("Which topic would you like a session on?").fill("dbt for analysts")
    page.get_by_label("What would you like to learn?").fill("From SQL queries to dbt models.")
    page.get_by_label("Tags or skills").fill("dbt, sql")
    page.get_by_role("button", name="Request topic").click()
    request = TopicRequest.objects.get(title="dbt for analysts")
    expect(page).to_have_url(f"{server}/topics/{request.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("dbt for analysts")

    # A second member, in their own browser: +1 from the list (htmx swaps the box in place).
    other = new_context().new_page()
    sign_in(other, server, host)
    other.goto(f"{server}/topics/")
    box = other.locator(f"#vote-{request.pk}")
    expect(box.locator(".stat")).to_have_text("1")
    box.get_by_role("button", name="+1 for “dbt for analysts”").click()
    expect(box.locator(".stat")).to_have_text("2")
    expect(box.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    expect(other).to_have_url(f"{server}/topics/")
    assert sorted(TopicVote.objects.values_list("person__display_name", flat=True)) == [
        "Ada Asker",
        "Hugo Host",
    ]

    other.get_by_role("link", name="dbt for analysts").click()
    other.get_by_label("A note for the requester").fill("I build our dbt models.")
    other.get_by_role("button", name="I could host this").click()
    expect(other.locator("#volunteer .message-success")).to_have_text(
        "Thanks! You are listed as a possible host. Propose it as a session when you are ready."
    )
    expect(other.locator("#volunteers li")).to_have_text(["HHHugo HostI build our dbt models."])
    assert list(TopicVolunteer.objects.values_list("person", "note")) == [
        (host.pk, "I build our dbt models.")
    ]

    other.get_by_role("button", name="Propose it as a session").click()
    session = Session.objects.get(title="dbt for analysts")
    expect(other).to_have_url(f"{server}/sessions/{session.pk}/")
    expect(other.get_by_role("heading", level=1)).to_have_text("dbt for analysts")
    expect(other.locator(".message-success")).to_contain_text("Your session is proposed")
    request.refresh_from_db()
    assert (session.state, request.session, request.status) == (
        State.PROPOSED,
        session,
        TopicRequest.Status.OPEN,
    )
    assert sorted(t.name for t in session.tags.all()) == ["dbt", "sql"]
