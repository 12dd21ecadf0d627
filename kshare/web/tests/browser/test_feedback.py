"""Acceptance: after a session ends the attendee gets the form by real SMTP, answers it in the
browser, and the host sees the result; with anonymity on, nothing names the attendee."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Browser, expect

from kshare.feedback.dispatch import feedback_dispatch
from kshare.feedback.models import FeedbackRequest
from kshare.feedback.services import response_submit
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import AttendanceFactory, PastSessionFactory
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

ATTENDEE_NAME, ATTENDEE_EMAIL = "Ann Attendee", "ann.attendee@example.com"


def test_attendee_answers_the_mailed_form_and_the_host_sees_it_without_names(
    browser: Browser, server: str, smtp_server
) -> None:
    host = PersonFactory(display_name="Hal Host")
    attendee = PersonFactory(display_name=ATTENDEE_NAME, email=ATTENDEE_EMAIL)
    programme = ProgrammeFactory(name="Quiet Talks", slug="quiet", feedback_anonymous=True)
    now = timezone.now()
    session = PastSessionFactory(
        programme=programme,
        title="Pandas tricks",
        host=host,
        start=now - timedelta(hours=2),
        end=now - timedelta(hours=1),
    )
    AttendanceFactory(session=session, person=attendee)
    others = [PersonFactory(display_name=f"Other {i}") for i in range(2)]
    for other in others:
        AttendanceFactory(session=session, person=other)
    with override_settings(MAILERS=smtp_server.mailers):
        assert feedback_dispatch(session=session) == 3

    [raw] = [m for m in smtp_server.messages if m["To"] == ATTENDEE_EMAIL]
    received = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
    text = received.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+(/feedback/\S+?/)(?=\s|$)", text)
    assert link is not None, text

    attendee_page = browser.new_context().new_page()
    sign_in(attendee_page, server, attendee)
    attendee_page.goto(server + link.group(1))
    overall = attendee_page.get_by_role("group", name=re.compile("Overall"))
    overall.get_by_label("5", exact=True).check()
    attendee_page.get_by_role("group", name=re.compile("host a session")).get_by_label(
        "Yes", exact=True
    ).check()
    attendee_page.get_by_role("button", name=re.compile("Send|Submit")).click()
    expect(attendee_page.get_by_text(re.compile("Thank you", re.I)).first).to_be_visible()

    # One answer alone would name Ann: the host sees nothing yet, and why.
    host_page = browser.new_context().new_page()
    sign_in(host_page, server, host)
    host_page.goto(f"{server}/sessions/{session.pk}/")
    host_page.get_by_role("link", name="Feedback results").click()
    expect(host_page.locator(".headline")).to_have_text("No ratings yet")
    expect(host_page.locator("#anonymous-batches")).to_contain_text(
        "answers appear in groups of at least 3"
    )

    # The two others answer (5 stars each); the three are released together.
    for other in others:
        request = FeedbackRequest.objects.get(session=session, person=other)
        overall_q = request.form.questions.get(purpose="overall")
        response_submit(request=request, person=other, data={overall_q.pk: "5"})
    host_page.reload()
    expect(host_page.locator(".headline")).to_have_text("5.0 / 5")
    desc = host_page.locator("desc#overall-d")
    expect(desc).to_have_text(
        "5 stars 3, 4 stars 0, 3 stars 0, 2 stars 0, 1 star 0 (from 3 responses)"
    )
    html = host_page.content()
    assert (ATTENDEE_NAME in html, ATTENDEE_EMAIL in html) == (False, False)
    csv_text = host_page.request.get(
        f"{server}/feedback/sessions/{session.pk}/export.csv?bom=1"
    ).text()
    assert csv_text.startswith("\ufeffsession,date,")
    assert (ATTENDEE_NAME in csv_text, ATTENDEE_EMAIL in csv_text) == (False, False)
    assert csv_text.splitlines()[1].split(",")[2] == "5"
