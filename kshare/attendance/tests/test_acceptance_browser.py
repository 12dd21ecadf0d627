"""Acceptance for running a session (issue 9), in a real browser.

The host puts the check-in page on screen; its QR code (a screenshot, decoded with zxing-cpp) is
the signed link. Two attendees open that link from their own browsers and tap "Check in" (one
of them signs in on the way). One asks a question, the other upvotes it, the host sees it at the
top, marks the session held, and the attendance log lists both attendees.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import quote

import PIL.Image
import pytest
import zxingcpp
from django.utils import timezone
from playwright.sync_api import Page, expect

from kshare.attendance.checkin import checkin_url
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.questions.models import Question
from kshare.sessions.models import Attendance, AttendanceChange, State
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe

TITLE = "Property-based testing"
QUESTION = "How do you shrink a failing example with nested data?"


def audit(page: Page, axe, name: str, problems: list[str]) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found = axe(page)
        if found:
            problems.append(f"{name} ({scheme}):\n{found}")
    page.emulate_media(color_scheme="light")


def decode_qr(page: Page) -> str:
    """The text of the QR code on the page, read from a screenshot as a phone camera would."""
    image = page.get_by_role("img", name=re.compile("^QR code of the check-in link"))
    expect(image).to_be_visible()
    # Loaded, not just laid out (a string predicate would need eval, which the CSP forbids).
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    codes = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(image.screenshot())))
    assert len(codes) == 1
    return codes[0].text


def test_host_shows_the_qr_code_two_attendees_check_in_ask_and_upvote_and_the_log_shows_both(
    page: Page, new_context, server: str, settings, axe
) -> None:
    settings.SITE_URL = server  # the QR code leads to the live server
    programme = ProgrammeFactory(name="Engineering talks")
    host = PersonFactory(display_name="Hana Host", email="hana@example.com")
    ann = PersonFactory(display_name="Ann Attendee", email="ann@example.com")
    ben = PersonFactory(display_name="Ben Builder", email="ben@example.com")
    early = PersonFactory(display_name="Eve Early")
    start = (timezone.now() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    session = ScheduledSessionFactory(
        programme=programme, title=TITLE, host=host, start=start, end=start + timedelta(hours=1)
    )
    # An older question: the upvoted one must overtake it to be first.
    Question.objects.create(session=session, author=early, text="Is Hypothesis worth it?")
    problems: list[str] = []

    # The host opens the check-in page from the session page and puts it on screen.
    sign_in(page, server, host)
    page.goto(f"{server}/sessions/{session.pk}/")
    page.get_by_role("link", name="Check-in page with the QR code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Check in to “{TITLE}”")
    signed_url = checkin_url(session)
    assert decode_qr(page) == signed_url
    expect(page.get_by_label("Scan the code, or open this link:")).to_have_value(signed_url)
    expect(page.locator(".checkin-count")).to_have_text("0")
    audit(page, axe, "check-in page", problems)

    # Ann is signed in already: she opens the link and taps "Check in".
    ann_page = new_context().new_page()
    sign_in(ann_page, server, ann)
    ann_page.goto(signed_url)
    expect(ann_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    audit(ann_page, axe, "check-in link page", problems)
    assert Attendance.objects.count() == 0  # opening the link records nothing
    ann_page.get_by_role("button", name="Check in", exact=True).click()
    expect(ann_page.get_by_role("heading", level=2)).to_have_text(f"You're checked in to “{TITLE}”")
    audit(ann_page, axe, "checked-in page", problems)

    # Ben scans it before signing in: the sign-in page brings him back to the link.
    ben_page = new_context().new_page()
    ben_page.goto(signed_url)
    expect(ben_page).to_have_url(f"{server}/signin/?next={quote(signed_url.removeprefix(server))}")
    ben_page.fill("#id_username", ben.email)
    ben_page.fill("#id_password", PASSWORD)
    ben_page.get_by_role("button", name="Sign in").click()
    expect(ben_page).to_have_url(signed_url)
    ben_page.get_by_role("button", name="Check in", exact=True).click()
    expect(ben_page.get_by_role("heading", level=2)).to_have_text(f"You're checked in to “{TITLE}”")

    # The host's page counts both without a reload (htmx polls every few seconds).
    expect(page.locator(".checkin-count")).to_have_text("2", timeout=20_000)
    expect(page.locator(".checkin-list li")).to_have_text(
        [re.compile("^Ann Attendee"), re.compile("^Ben Builder")]
    )

    # Ann asks a question on the session page; Ben upvotes it.
    ann_page.get_by_role("link", name="Open the session page").click()
    expect(ann_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(ann_page.locator("#checkin")).to_contain_text("You're checked in")
    ann_page.get_by_label("Your question").fill(QUESTION)
    ann_page.get_by_role("button", name="Ask", exact=True).click()
    expect(ann_page.locator("#question-live")).to_contain_text(QUESTION)

    ben_page.goto(f"{server}/sessions/{session.pk}/")
    ben_page.get_by_role("button", name=f"Upvote: {QUESTION}").click()
    expect(ben_page.get_by_role("button", name=f"Upvote: {QUESTION}")).to_have_attribute(
        "aria-pressed", "true"
    )

    # The host sees it first, then marks the session held.
    page.goto(f"{server}/sessions/{session.pk}/")
    open_questions = page.get_by_role("list", name="Open questions").locator("> li")
    expect(open_questions).to_have_count(2)
    expect(open_questions.first.locator(".question-text")).to_have_text(QUESTION)
    expect(open_questions.first.locator(".vote-count")).to_have_text("1 vote")
    page.get_by_role("button", name="Mark as held").click()
    expect(page.locator(".message-success")).to_contain_text("Marked as held")
    session.refresh_from_db()
    assert session.state == State.HELD

    # The attendance log shows both attendees, who checked themselves in.
    page.get_by_role("link", name=re.compile(r"^Attendance log")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance log")
    expect(page.locator("#attendance-live .attendee-name")).to_have_text(
        ["Ann Attendee", "Ben Builder"]
    )
    assert sorted(
        AttendanceChange.objects.filter(session=session).values_list(
            "person__display_name", "by__display_name", "method"
        )
    ) == [
        ("Ann Attendee", "Ann Attendee", "check_in"),
        ("Ben Builder", "Ben Builder", "check_in"),
    ]
    if problems:
        pytest.fail("axe found issues:\n" + "\n".join(problems), pytrace=False)


def test_im_here_on_the_session_page_with_and_without_javascript(
    page: Page, new_context, server: str, axe
) -> None:
    start = (timezone.now() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    session = ScheduledSessionFactory(title=TITLE, start=start, end=start + timedelta(hours=1))
    online = PersonFactory(display_name="Olli Online", email="olli@example.com")
    offline = PersonFactory(display_name="Nora NoScript", email="nora@example.com")
    problems: list[str] = []

    # With JavaScript: htmx swaps the card in place.
    sign_in(page, server, online)
    page.goto(f"{server}/sessions/{session.pk}/")
    card = page.locator("#checkin")
    expect(card.get_by_role("heading", level=2)).to_have_text("Check-in")
    audit(page, axe, "session page with I'm here", problems)
    page.get_by_role("button", name="I'm here").click()
    expect(card.locator(".checkin-done")).to_contain_text("You're checked in")
    expect(page.get_by_role("button", name="I'm here")).to_have_count(0)
    expect(page.locator(".messages")).to_have_count(0)  # swapped in place, not reloaded
    audit(page, axe, "session page, checked in", problems)

    # Without JavaScript: a plain post, and the page comes back with a message.
    plain = new_context(java_script_enabled=False).new_page()
    sign_in(plain, server, offline)
    plain.goto(f"{server}/sessions/{session.pk}/")
    plain.get_by_role("button", name="I'm here").click()
    expect(plain).to_have_url(f"{server}/sessions/{session.pk}/")
    expect(plain.locator(".message-success")).to_have_text(f"You're checked in to “{TITLE}”.")
    expect(plain.locator("#checkin .checkin-done")).to_contain_text("You're checked in")

    assert sorted(
        Attendance.objects.filter(session=session).values_list("person__display_name", "method")
    ) == [("Nora NoScript", "remote"), ("Olli Online", "remote")]
    if problems:
        pytest.fail("axe found issues:\n" + "\n".join(problems), pytrace=False)
