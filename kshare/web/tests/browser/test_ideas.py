"""The ideas board as people use it during a session: add, vote, see it live, promote."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kshare.ideas.models import Idea, IdeaVote, Status
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Format, State
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

ANNA_IDEA = "Recommend sessions to colleagues"
BEN_IDEA = "A dataset of our own talks"


def _add_idea(page: Page, title: str) -> None:
    section = page.locator("#ideas")
    section.get_by_label("Title").fill(title)
    section.get_by_role("button", name="Add idea").click()
    expect(page.locator("#ideas .message-success")).to_have_text(
        "Thanks! Your idea is on the board."
    )
    expect(page.locator("#ideas").get_by_role("link", name=title, exact=True)).to_be_visible()


def test_two_people_add_and_vote_then_the_organiser_promotes_the_top_idea(
    page: Page, new_context, server: str
) -> None:
    organiser = OrganiserFactory(display_name="Olga Organiser")
    anna = PersonFactory(display_name="Anna Attendee")
    ben = PersonFactory(display_name="Ben Builder")
    programme = ProgrammeFactory(name="Tech Talks")
    programme.organisers.add(organiser)
    session = ScheduledSessionFactory(title="Recommender systems", programme=programme)
    session_url = f"{server}/sessions/{session.pk}/"

    # Anna adds an idea during the session (htmx: the page is not reloaded).
    sign_in(page, server, anna)
    page.goto(session_url)
    page.evaluate("window.notReloaded = true")
    _add_idea(page, ANNA_IDEA)
    anna_idea = Idea.objects.get(title=ANNA_IDEA)

    # Ben adds his own idea and votes for Anna's — twice in a row, as a double click.
    ben_page = new_context().new_page()
    sign_in(ben_page, server, ben)
    ben_page.goto(session_url)
    _add_idea(ben_page, BEN_IDEA)
    vote = ben_page.get_by_role("button", name=f"Vote for “{ANNA_IDEA}”")
    vote.dblclick()
    voted = ben_page.get_by_role("button", name=f"Voted for “{ANNA_IDEA}”")
    expect(voted).to_have_attribute("aria-pressed", "true")
    expect(ben_page.locator(f"#idea-{anna_idea.pk} .vote-count")).to_have_text("1 vote")
    assert IdeaVote.objects.filter(idea=anna_idea).count() == 1

    # Anna's page updates on its own: Ben's idea and his vote appear without a reload.
    expect(page.locator("#ideas").get_by_role("link", name=BEN_IDEA)).to_be_visible(timeout=15_000)
    expect(page.locator(f"#idea-{anna_idea.pk} .vote-count")).to_have_text("1 vote")
    assert page.evaluate("window.notReloaded") is True
    # The most voted idea is first.
    expect(page.locator("#ideas .idea h3").first).to_have_text(ANNA_IDEA)

    # The organiser of the programme turns the top idea into a workshop proposal.
    organiser_page = new_context().new_page()
    sign_in(organiser_page, server, organiser)
    organiser_page.goto(session_url)
    organiser_page.locator("#ideas").get_by_role("link", name=ANNA_IDEA).click()
    organiser_page.get_by_role("link", name="Propose as a session").click()
    expect(organiser_page.get_by_label("A workshop")).to_be_checked()
    organiser_page.get_by_role("button", name="Propose session").click()

    anna_idea.refresh_from_db()
    proposal = anna_idea.promoted_session
    assert proposal is not None
    assert (proposal.title, proposal.format, proposal.state, anna_idea.status) == (
        ANNA_IDEA,
        Format.WORKSHOP,
        State.PROPOSED,
        Status.PLANNED,
    )
    expect(organiser_page).to_have_url(f"{server}/sessions/{proposal.pk}/")
    expect(organiser_page.get_by_role("heading", level=1)).to_have_text(ANNA_IDEA)
    expect(organiser_page.get_by_role("link", name=ANNA_IDEA)).to_have_attribute(
        "href", f"/ideas/{anna_idea.pk}/"
    )

    # The idea shows the link to the new session.
    page.goto(f"{server}/ideas/{anna_idea.pk}/")
    became = page.locator(".idea-link").first
    expect(became).to_have_text(f"Became session: {ANNA_IDEA}")
    expect(became.get_by_role("link")).to_have_attribute("href", f"/sessions/{proposal.pk}/")


def test_voting_works_without_javascript(new_context, server: str) -> None:
    page = new_context(java_script_enabled=False).new_page()
    member = PersonFactory()
    session = ScheduledSessionFactory(title="Plain HTML")
    sign_in(page, server, member)
    page.goto(f"{server}/sessions/{session.pk}/")

    page.locator("#ideas").get_by_label("Title").fill("Works everywhere")
    page.locator("#ideas").get_by_role("button", name="Add idea").click()
    expect(page.locator(".message-success")).to_have_text("Thanks! Your idea is on the board.")
    page.get_by_role("button", name="Vote for “Works everywhere”").click()

    expect(page.locator(".message-success")).to_have_text("Your vote is counted.")
    expect(page.get_by_role("button", name="Voted for “Works everywhere”")).to_be_visible()
    assert IdeaVote.objects.filter(person=member).count() == 1
