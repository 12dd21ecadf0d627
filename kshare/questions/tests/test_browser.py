"""Live questions in Chromium: ask, see others' questions arrive without a reload, upvote (a
double click counts once), the host's page sorted by votes, mark answered; no JavaScript needed;
axe in light and dark colours."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kshare.people.tests.factories import PersonFactory
from kshare.questions.models import Question, QuestionVote
from kshare.questions.tests.factories import RunningSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe

FIRST = "How do we measure success?"
SECOND = "Will the slides be shared?"


def _ask(page: Page, text: str, *, anonymous: bool = False) -> None:
    section = page.locator("#questions")
    section.get_by_label("Your question").fill(text)
    if anonymous:
        section.get_by_label("Ask anonymously").check()
    section.get_by_role("button", name="Ask").click()


def _open_list(page: Page):
    return page.get_by_role("list", name="Open questions")


def test_attendees_ask_and_upvote_live_and_the_host_answers(
    page: Page, new_context, server: str, axe
) -> None:
    host = PersonFactory(display_name="Hana Host")
    anna = PersonFactory(display_name="Anna Attendee")
    ben = PersonFactory(display_name="Ben Builder")
    session = RunningSessionFactory(title="Metrics that matter", host=host)
    session_url = f"{server}/sessions/{session.pk}/"

    # Anna asks anonymously from the session page: htmx, no reload.
    sign_in(page, server, anna)
    page.goto(session_url)
    page.evaluate("window.notReloaded = true")
    _ask(page, FIRST, anonymous=True)
    expect(page.locator("#questions .message-success")).to_have_text(
        "Your question is posted anonymously."
    )
    expect(_open_list(page).get_by_role("listitem")).to_have_count(1)
    expect(page.locator("#questions").get_by_label("Your question")).to_have_value("")
    # The section was replaced; keyboard focus stays on the button, not lost to the page.
    expect(page.get_by_role("button", name="Ask")).to_be_focused()

    # Ben asks too, then upvotes Anna's question with a double click: one vote.
    ben_page = new_context().new_page()
    sign_in(ben_page, server, ben)
    ben_page.goto(session_url)
    _ask(ben_page, SECOND)
    upvote = ben_page.get_by_role("button", name=f"Upvote: {FIRST}")
    expect(upvote).to_have_attribute("aria-pressed", "false")
    upvote.dblclick()
    expect(ben_page.get_by_role("button", name=f"Upvote: {FIRST}")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(ben_page.get_by_role("button", name=f"Upvote: {FIRST}")).to_be_focused()
    first = Question.objects.get(text=FIRST)
    expect(ben_page.locator(f"#question-{first.pk} .vote-count")).to_have_text("1 vote")
    assert QuestionVote.objects.filter(question=first).count() == 1
    # Nobody votes for their own question: Ben has no upvote button on his.
    expect(ben_page.get_by_role("button", name=f"Upvote: {SECOND}")).to_have_count(0)

    # Anna's page updates by itself: Ben's question and his vote arrive without a reload,
    # and her anonymous question shows no name.
    anna_list = _open_list(page)
    expect(anna_list.get_by_role("listitem")).to_have_count(2, timeout=15_000)
    expect(page.locator(f"#question-{first.pk} .vote-count")).to_have_text("1 vote")
    assert page.evaluate("window.notReloaded") is True
    expect(anna_list.get_by_role("listitem").first).to_contain_text(FIRST)
    expect(anna_list.get_by_role("listitem").first).to_contain_text("Anonymous (your question)")

    # The host's questions page: most votes first, the anonymous author hidden.
    host_page = new_context().new_page()
    sign_in(host_page, server, host)
    host_page.goto(f"{session_url}questions/")
    host_list = _open_list(host_page)
    items = host_list.get_by_role("listitem")
    expect(items.first.locator(".question-text")).to_have_text(FIRST)
    expect(items.nth(1).locator(".question-text")).to_have_text(SECOND)
    expect(items.first).to_contain_text("Anonymous")
    expect(host_page.locator("body")).not_to_contain_text("Anna Attendee")
    for scheme in ("light", "dark"):
        host_page.emulate_media(color_scheme=scheme)
        assert axe(host_page) == "", scheme

    # The host marks it answered: it moves to the answered list, on Ben's page too.
    items.first.get_by_role("button", name="Mark answered").click()
    answered = host_page.get_by_role("list", name="Answered questions")
    expect(answered.get_by_role("listitem")).to_have_count(1)
    expect(answered.get_by_role("listitem").first).to_contain_text(FIRST)
    expect(host_list.get_by_role("listitem")).to_have_count(1)
    expect(ben_page.get_by_role("list", name="Answered questions")).to_contain_text(
        FIRST, timeout=15_000
    )
    assert Question.objects.get(pk=first.pk).answered_by == host

    # The attendee's view passes axe too (forms, pressed buttons, both lists).
    for scheme in ("light", "dark"):
        ben_page.emulate_media(color_scheme=scheme)
        assert axe(ben_page) == "", scheme


def test_asking_and_voting_work_without_javascript(new_context, server: str) -> None:
    asker, voter = PersonFactory(), PersonFactory()
    session = RunningSessionFactory()
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, server, asker)
    page.goto(f"{server}/sessions/{session.pk}/questions/")
    _ask(page, "Plain HTML question?")
    expect(page.locator(".messages")).to_have_text("Your question is posted.")
    expect(page).to_have_url(f"{server}/sessions/{session.pk}/questions/")

    page.context.clear_cookies()
    sign_in(page, server, voter)
    page.goto(f"{server}/sessions/{session.pk}/questions/")
    page.get_by_role("button", name="Upvote: Plain HTML question?").click()
    expect(page.locator(".messages")).to_have_text("Your vote is counted.")
    expect(page.get_by_role("button", name="Upvote: Plain HTML question?")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert Question.objects.get().vote_count == 1

    # A 10 KB question is refused with the limit named (the browser's maxlength bypassed).
    page.locator("#id_question_text").evaluate("el => el.removeAttribute('maxlength')")
    page.locator("#id_question_text").fill("x" * 10_240)
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#id_question_text_error")).to_have_text(
        "Keep the question under 500 characters (it has 10240)."
    )
    assert Question.objects.count() == 1
