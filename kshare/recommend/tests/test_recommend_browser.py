"""Acceptance in Chromium: a newcomer who declares "pandas" sees the pandas session first, with
the reason; an organiser's invite dialog suggests invitees with reasons and invites them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kshare.people.tests.factories import OrganiserFactory, PersonFactory, SkillFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.recommend.services import recommend_train
from kshare.sessions.models import Invitation
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe


@pytest.fixture
def programme(server):
    return ProgrammeFactory(name="Knowledge sharing")


def _upcoming(programme, title: str, tag_name: str, days: int, **kwargs):
    from datetime import timedelta

    from django.utils import timezone

    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    session = ScheduledSessionFactory(programme=programme, title=title, start=start, **kwargs)
    session.tags.add(TagFactory(name=tag_name))
    return session


def test_newcomer_declaring_pandas_sees_the_pandas_session_first_with_the_reason(
    page: Page, server: str, programme, axe
) -> None:
    popular = _upcoming(programme, "Kubernetes operators", "kubernetes", days=3)
    _upcoming(programme, "Advanced SQL", "sql", days=5)
    _upcoming(programme, "Pandas at scale", "pandas", days=9)
    for _ in range(3):  # the Kubernetes talk is the popular one
        Invitation.objects.create(
            session=popular, person=PersonFactory(), response=Invitation.Response.YES
        )
    recommend_train(reason="before the newcomer arrived")
    newcomer = PersonFactory(display_name="Nina Newcomer")

    sign_in(page, server, newcomer)
    page.goto(f"{server}/people/me/edit/")
    page.get_by_label("Skills").fill("pandas: 2")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".message-success")).to_contain_text("Your profile is saved.")

    page.goto(f"{server}/")
    block = page.locator("#recommended-sessions")
    expect(block.get_by_role("heading", name="Recommended for you")).to_be_visible()
    first = block.locator(".session-item").first
    expect(first.get_by_role("link")).to_have_text("Pandas at scale")
    expect(first.locator(".recommendation-reason")).to_have_text("Why: Matches your skill: pandas")
    assert axe(page) == ""


def test_organiser_sees_suggested_invitees_with_reasons_and_invites_one(
    page: Page, server: str, programme, axe
) -> None:
    organiser = OrganiserFactory(display_name="Olga Organiser")
    programme.organisers.add(organiser)
    session = _upcoming(programme, "Pandas at scale", "pandas", days=9)
    pandas = session.tags.get()
    expert = PersonFactory(display_name="Pia Pandas")
    SkillFactory(person=expert, tag=pandas, level=3)
    learner = PersonFactory(display_name="Leo Learner")
    learner.interests.add(pandas)
    PersonFactory(display_name="Uma Unrelated")

    sign_in(page, server, organiser)
    page.goto(f"{server}/sessions/{session.pk}/invite/")
    suggested = page.locator("#suggested-invitees")
    expect(suggested.get_by_role("heading", name="Suggested invitees")).to_be_visible()
    items = suggested.locator("li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Pia Pandas")
    expect(items.nth(0)).to_contain_text("skill: pandas (expert)")
    expect(items.nth(1)).to_contain_text("Leo Learner")
    expect(items.nth(1)).to_contain_text("interested in pandas")
    assert axe(page) == ""

    suggested.get_by_label("Pia Pandas").check()
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator(".message-success")).to_contain_text("Invited 1 person")
    assert list(Invitation.objects.filter(session=session).values_list("person_id", flat=True)) == [
        expert.pk
    ]
    # Invited now: no longer suggested.
    expect(page.locator("#suggested-invitees li")).to_have_count(1)
