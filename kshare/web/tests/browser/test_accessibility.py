"""axe-core (WCAG 2.1 A/AA) on every main page, in light and dark colours, and the skip link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kshare.chat.models import ChatChannel, Platform
from kshare.chat.sealing import url_seal
from kshare.feedback.services import feedback_form_current
from kshare.feedback.tests.results_helpers import respond
from kshare.ideas import services as idea_services
from kshare.ideas.models import Idea
from kshare.people.models import Person
from kshare.people.tests.factories import OrganiserFactory, PersonFactory, SkillFactory, TeamFactory
from kshare.programmes.models import Programme
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions import services
from kshare.sessions.cohosting import cohost_answer
from kshare.sessions.models import CohostInvitation, Format, Session
from kshare.sessions.tests.factories import PastSessionFactory, ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.topics.models import TopicRequest
from kshare.topics.services import topic_request_create, topic_volunteer_set
from kshare.web.tests.browser.conftest import ARTIFACTS_DIR, sign_in

pytestmark = pytest.mark.browser


@dataclass
class World:
    member: Person
    organiser: Person
    programme: Programme
    hosted: Session
    proposed: Session
    not_mine: Session
    idea: Idea


@pytest.fixture
def world(server: str) -> World:
    return make_world()


def make_world() -> World:
    """A small organisation with every kind of thing the pages show (also test_pages.py's)."""
    team = TeamFactory(name="Platform", slug="platform")
    member = PersonFactory(display_name="Mia Member", team=team)
    organiser = OrganiserFactory(display_name="Olga Organiser", team=team)
    programme = ProgrammeFactory(
        name="Tech Talks", slug="tech-talks", description="Talks by engineers, for everyone."
    )
    programme.organisers.add(organiser)
    python, testing = TagFactory(name="python"), TagFactory(name="testing")
    SkillFactory(person=member, tag=python, level=3)
    member.interests.add(testing)
    hosted = services.session_propose(
        by=member,
        title="Browser testing with Playwright",
        abstract="We drive **Chromium** from pytest.\n\n- fixtures\n- `expect`\n\n> Try it.",
        format=Format.WORKSHOP,
        programme=programme,
        tags=[python, testing],
        cohosts=[organiser],
        location="Room 4.12",
        call_url="https://meet.example.com/abc",
        capacity=20,
    )
    cohost_answer(
        invitation=CohostInvitation.objects.get(session=hosted), person=organiser, accept=True
    )
    # At 10:00 UTC three weeks ahead: a workshop starting late in the evening would cross
    # midnight, which scheduling refuses (the tests run at any time of day).
    start = (timezone.now() + timedelta(days=21)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    services.session_schedule(session=hosted, start=start, by=member)
    proposed = services.session_propose(by=member, title="An idea for later", programme=programme)
    past = PastSessionFactory(title="Last month's talk", programme=programme, host=organiser)
    # Feedback on it, so the results page draws its charts and comments.
    form = feedback_form_current(programme=programme)
    respond(past, form, {"overall": 5, "What could be improved?": "More demos"}, member)
    respond(past, form, {"overall": 4, "host_interest": ["Maybe"]}, PersonFactory())
    not_mine = ScheduledSessionFactory(title="Someone else's talk", programme=programme)
    # A topic request with a volunteer, for the topic pages.
    topic = topic_request_create(
        requester=organiser, title="dbt for analysts", description="From *SQL*.", tags=[python]
    )
    topic_volunteer_set(request=topic, person=organiser, on=True, note="I could")
    # Ideas from the hosted session and from a product area, for the ideas pages.
    area = idea_services.area_create(by=organiser, name="Search", description="Finding things.")
    idea = idea_services.idea_create(
        author=organiser, title="Record every talk", description="*Please*.", session=hosted
    )
    idea_services.idea_create(author=member, title="Fuzzy search", area=area)
    idea_services.idea_vote_set(idea=idea, person=member, on=True)
    idea_services.idea_comment_add(idea=idea, author=member, body="Yes, with transcripts.")
    hook = "https://hooks.slack.com/services/T0/B0/secret-part-abcd"
    ChatChannel.objects.create(
        platform=Platform.SLACK,
        name="#tech-talks",
        url_sealed=url_seal(hook),
        url_hint="hooks.slack.com …abcd",
        programme=programme,
        created_by=organiser,
    )
    return World(member, organiser, programme, hosted, proposed, not_mine, idea)


def _show_propose_errors(page: Page) -> None:
    page.get_by_role("button", name="Propose session").click()
    expect(page.locator("#form-errors")).to_be_visible()


def _show_idea_errors(page: Page) -> None:
    page.get_by_role("button", name="Add idea").click()
    expect(page.locator("#form-errors")).to_be_visible()


def _show_chat_errors(page: Page) -> None:
    page.fill("#id_url", "http://hooks.slack.com/services/T0/B0/x")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#form-errors")).to_be_visible()


def _show_login_error(page: Page) -> None:
    page.fill("#id_username", "nobody@example.com")
    page.fill("#id_password", "wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-errors")).to_be_visible()


def _show_builder_errors(page: Page) -> None:
    page.get_by_role("button", name="Add question").click()
    expect(page.locator("#form-errors")).to_be_visible()


def _past(w: World) -> Session:
    return Session.objects.get(programme=w.programme, title="Last month's talk")


Action = Callable[[Page], None] | None
# (name, path in the world, expected status, action before the audit), grouped so that one
# sign-in covers several pages: every page is still audited and named when it fails.
PAGE_GROUPS: dict[str, list[tuple[str, Callable[[World], str], int, Action]]] = {
    "lists": [
        ("home", lambda w: "/", 200, None),
        ("sessions-upcoming", lambda w: "/sessions/", 200, None),
        ("sessions-past", lambda w: "/sessions/past/", 200, None),
        ("sessions-proposals", lambda w: "/sessions/proposals/", 200, None),
        ("sessions-mine", lambda w: "/sessions/mine/", 200, None),
        ("sessions-tag", lambda w: "/sessions/tag/python/", 200, None),
    ],
    "session-pages": [
        ("session-detail", lambda w: f"/sessions/{w.hosted.pk}/", 200, None),
        ("session-detail-proposed", lambda w: f"/sessions/{w.proposed.pk}/", 200, None),
        ("session-propose", lambda w: "/sessions/propose/", 200, None),
        ("session-propose-errors", lambda w: "/sessions/propose/", 200, _show_propose_errors),
        ("session-edit", lambda w: f"/sessions/{w.hosted.pk}/edit/", 200, None),
        ("session-schedule", lambda w: f"/sessions/{w.proposed.pk}/schedule/", 200, None),
        ("session-cancel", lambda w: f"/sessions/{w.hosted.pk}/cancel/", 200, None),
    ],
    "ideas": [
        ("ideas-board", lambda w: "/ideas/", 200, None),
        ("ideas-newest", lambda w: "/ideas/?sort=new", 200, None),
        ("idea-detail", lambda w: f"/ideas/{w.idea.pk}/", 200, None),
        ("idea-new", lambda w: "/ideas/new/", 200, None),
        ("idea-new-errors", lambda w: "/ideas/new/", 200, _show_idea_errors),
        ("ideas-areas", lambda w: "/ideas/areas/", 200, None),
        ("ideas-area", lambda w: "/ideas/areas/search/", 200, None),
    ],
    "programmes-people-errors": [
        ("programmes", lambda w: "/programmes/", 200, None),
        ("programme-detail", lambda w: f"/programmes/{w.programme.slug}/", 200, None),
        ("people", lambda w: "/people/", 200, None),
        ("experts", lambda w: "/people/experts/?skill=python", 200, None),
        ("topics", lambda w: "/topics/", 200, None),
        ("topic-new", lambda w: "/topics/new/", 200, None),
        ("topic-detail", lambda w: f"/topics/{TopicRequest.objects.get().pk}/", 200, None),
        ("profile", lambda w: f"/people/{w.organiser.pk}/", 200, None),
        ("your-data", lambda w: "/people/me/data/", 200, None),
        ("account-delete", lambda w: "/people/me/delete/", 200, None),
        ("not-found", lambda w: "/sessions/999999/", 404, None),
        ("not-allowed", lambda w: f"/sessions/{w.not_mine.pk}/edit/", 403, None),
    ],
    "feedback-organiser": [
        ("feedback-session", lambda w: f"/feedback/sessions/{_past(w).pk}/", 200, None),
        ("feedback-programme", lambda w: f"/feedback/programmes/{w.programme.slug}/", 200, None),
        ("feedback-builder", lambda w: f"/feedback/programmes/{w.programme.slug}/form/", 200, None),
        (
            "feedback-builder-errors",
            lambda w: f"/feedback/programmes/{w.programme.slug}/form/",
            200,
            _show_builder_errors,
        ),
        ("chat-channels", lambda w: "/chat/", 200, None),
        ("chat-channels-errors", lambda w: "/chat/", 200, _show_chat_errors),
    ],
    "signed-out": [
        ("login", lambda w: "/signin/", 200, None),
        ("login-error", lambda w: "/signin/", 200, _show_login_error),
    ],
}


@pytest.mark.parametrize("group", list(PAGE_GROUPS))
def test_pages_have_no_serious_accessibility_violations_in_light_and_dark(
    page: Page, server: str, world: World, axe, group: str
) -> None:
    if group == "feedback-organiser":
        sign_in(page, server, world.organiser)
    elif group != "signed-out":
        sign_in(page, server, world.member)
    problems = []
    for name, path, status, action in PAGE_GROUPS[group]:
        response = page.goto(server + path(world))
        assert (name, response and response.status) == (name, status)
        if action is not None:
            action(page)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            report = axe(page)
            if report:
                ARTIFACTS_DIR.mkdir(exist_ok=True)
                shot = ARTIFACTS_DIR / f"axe-{name}-{scheme}.png"
                page.screenshot(path=str(shot), full_page=True)
                problems.append(f"{name} ({scheme} colours, {page.url}, {shot.name}):\n{report}")
    if problems:
        pytest.fail(
            "axe found serious/critical WCAG 2.1 A/AA issues:\n" + "\n".join(problems),
            pytrace=False,
        )


def test_first_tab_focuses_the_skip_link_which_moves_to_the_content(
    page: Page, server: str, world: World
) -> None:
    sign_in(page, server, world.member)
    page.goto(f"{server}/sessions/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
