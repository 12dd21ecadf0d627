"""Answering a feedback form in the browser, without JavaScript, and its accessibility."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from kshare.feedback.models import HostAnswerHeld, ProspectiveHost, Response
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def waiting_request(person, *, anonymous: bool):
    programme = ProgrammeFactory(feedback_anonymous=anonymous)
    session = PastSessionFactory(programme=programme, title="Data contracts")
    return FeedbackRequestFactory(session=session, person=person)


def test_an_attendee_answers_from_the_home_page_without_javascript(
    browser: Browser, server: str
) -> None:
    person = PersonFactory()
    request = waiting_request(person, anonymous=True)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server, person)

    page.get_by_role("link", name="You have 1 feedback form waiting").click()
    page.get_by_role("link", name="Give feedback on “Data contracts”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How was “Data contracts”?")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator("#form-errors")).to_contain_text("Please correct the 1 problem below.")

    page.get_by_role("group", name="Overall, how useful was the session?").get_by_label("4").check()
    page.get_by_label("Which topics would you like next?").fill("Kafka")
    page.get_by_role("group", name="Would you like to host a session yourself?").get_by_label(
        "Maybe"
    ).check()
    page.get_by_role("button", name="Send feedback").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback!")
    expect(page.locator("main")).to_contain_text("Your answers were saved without your name.")
    response = Response.objects.get()
    assert (response.person, list(response.answers.values_list("number", flat=True))) == (
        None,
        [4],
    )
    # Anonymous: the response waits for its batch, the named hosting answer for the form's
    # close (kshare/feedback/release.py), so neither shows the moment it was given.
    assert response.released is False
    assert list(ProspectiveHost.objects.values_list("person", "answer", "topics")) == []
    assert list(HostAnswerHeld.objects.values_list("person", "answer", "topics")) == [
        (person.pk, "maybe", "Kafka")
    ]
    page.goto(f"{server}/feedback/r/{request.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You have already answered — thank you."
    )
    context.close()


def test_inbox_and_form_pages_have_no_serious_accessibility_violations(
    page: Page, server: str, axe
) -> None:
    person = PersonFactory()
    request = waiting_request(person, anonymous=True)
    sign_in(page, server, person)
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for path in ("/", "/feedback/", f"/feedback/r/{request.pk}/"):
            page.goto(server + path)
            if path.startswith("/feedback/r/"):
                # The page with its errors shown, as after a bad submit.
                page.get_by_role("button", name="Send feedback").click()
            report = axe(page)
            if report:
                problems.append(f"{path} ({scheme}):\n{report}")

    assert problems == []
