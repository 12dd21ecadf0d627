"""A person turns nudges off in their notification settings, gets a reminder by real SMTP, and
turns reminders off from the link at the end of that mail, without signing in."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email.policy import default as default_policy

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, Page, expect

from kshare.core.tests.daytime import days_ahead_at
from kshare.outbox.models import MailOptOut
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.models import Reminder
from kshare.scheduling.reminders.services import reminders_send_due
from kshare.sessions.services import session_schedule
from kshare.sessions.tests.factories import InvitationFactory, SessionFactory
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_person_chooses_their_mail_and_unsubscribes_from_a_reminder_in_one_click(
    page: Page, browser: Browser, server: str, smtp_server, settings, axe
) -> None:
    settings.SITE_URL = server  # the links in the mail lead to the live server
    ann = PersonFactory(display_name="Ann Attendee", email="ann@example.com")

    sign_in(page, server, ann)
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="Notification settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification settings")
    problems = [axe(page)]
    for label in ("Reminders", "Nudges", "Digests", "Weekly catch-up"):
        expect(page.get_by_role("checkbox", name=label)).to_be_checked()
    page.get_by_role("checkbox", name="Nudges").uncheck()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.locator(".message-success")).to_have_text("Your notification settings are saved.")
    expect(page.get_by_role("checkbox", name="Nudges")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Reminders")).to_be_checked()
    assert list(MailOptOut.objects.values_list("category", flat=True)) == ["nudges"]

    # A reminder arrives (real SMTP) with its one-click link at the end.
    host = PersonFactory(email="hal@example.com")
    programme = ProgrammeFactory(host_reminder_days="", invitee_reminder_hours="24", nudge_days=0)
    start = days_ahead_at(20)
    session = session_schedule(
        session=SessionFactory(title="Pandas tricks", host=host, programme=programme),
        start=start,
        end=start + timedelta(minutes=45),
        by=host,
    ).session
    InvitationFactory(session=session, person=ann, response="yes")
    due = Reminder.objects.get(session=session, kind="invitee").due_at
    with override_settings(MAILERS=smtp_server.mailers):
        assert reminders_send_due(now=due + timedelta(minutes=1)) == 1
    [wire] = smtp_server.raw  # the bytes as sent (aiosmtpd's parsed copy folds lines again)
    mail = email.message_from_bytes(wire.replace(b"\r\n", b"\n"), policy=default_policy)
    unsubscribe = re.fullmatch(r"<(.+)>", mail["List-Unsubscribe"]).group(1)
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"Turn off “Reminders”: {unsubscribe}\n" in text

    # Opened from the mail in another browser, signed out: it asks first, then turns it off.
    stranger = browser.new_page()
    try:
        stranger.goto(unsubscribe)
        expect(stranger.get_by_role("heading", level=1)).to_have_text("Turn off “Reminders”?")
        problems.append(axe(stranger))
        assert list(MailOptOut.objects.values_list("category", flat=True)) == ["nudges"]
        stranger.get_by_role("button", name="Turn off “Reminders”").click()
        expect(stranger.get_by_role("heading", level=1)).to_have_text("“Reminders” turned off")
        problems.append(axe(stranger))
    finally:
        stranger.close()
    assert sorted(MailOptOut.objects.values_list("category", flat=True)) == [
        "nudges",
        "reminders",
    ]

    page.reload()
    expect(page.get_by_role("checkbox", name="Reminders")).not_to_be_checked()
    assert [problem for problem in problems if problem] == []
