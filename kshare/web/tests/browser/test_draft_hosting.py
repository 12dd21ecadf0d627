"""Acceptance: an organiser turns a prospective host's "I'd like to host" into a draft; the
prospective host gets a mail (real SMTP), follows its link and declines or accepts with a plain
form; the organiser is told by mail."""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, Page, expect

from kshare.feedback.models import ProspectiveHost
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Session, State
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _mails(smtp_server, to: str) -> list:
    return [
        email.message_from_bytes(m.as_bytes(), policy=default_policy)
        for m in smtp_server.messages
        if m["To"] == to
    ]


def _propose_draft(page: Page, server: str, organiser, who: str) -> None:
    sign_in(page, server, organiser)
    page.goto(f"{server}/feedback/hosts/")
    page.get_by_role("button", name=f"Propose a session draft for {who}").click()


def test_a_prospective_host_declines_the_draft_from_the_mail_and_the_organiser_is_told(
    page: Page, browser: Browser, server: str, smtp_server, settings
) -> None:
    settings.SITE_URL = server
    organiser = OrganiserFactory(display_name="Olga Organiser", email="olga@example.com")
    programme = ProgrammeFactory(name="Engineering talks")
    programme.organisers.add(organiser)
    pat = PersonFactory(display_name="Pat Prospect", email="pat@example.com")
    ProspectiveHost.objects.create(
        programme=programme, person=pat, answer="yes", topics="Graph databases"
    )

    with override_settings(MAILERS=smtp_server.mailers):
        _propose_draft(page, server, organiser, "Pat Prospect")
        session = Session.objects.get(programme=programme)
        assert (session.proposed_by, session.state) == (organiser, State.PROPOSED)
        expect(page.locator(".proposed-by")).to_have_text(
            "Proposed by Olga Organiser on behalf of the host · waiting for the host to accept"
        )

        [asked] = _mails(smtp_server, "pat@example.com")
        assert asked["Subject"] == f"Olga Organiser proposes that you host “{session.title}”"
        body = asked.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"^(http\S+/hosting/)$", body, re.MULTILINE).group(1)
        assert link == f"{server}/sessions/{session.pk}/hosting/"

        # Pat, in a browser of their own and without JavaScript, opens the link and declines.
        context = browser.new_context(java_script_enabled=False)
        pat_page = context.new_page()
        sign_in(pat_page, server, pat)
        pat_page.goto(link)
        expect(pat_page.get_by_role("heading", level=1)).to_have_text(f"Host “{session.title}”?")
        pat_page.get_by_role("button", name="Decline").click()
        expect(pat_page.locator(".message-success")).to_have_text(
            "You declined: the draft is withdrawn and its proposer is told."
        )
        expect(pat_page.get_by_text("This draft is withdrawn.")).to_be_visible()
        context.close()

    session.refresh_from_db()
    assert session.state == State.CANCELLED
    [told] = _mails(smtp_server, "olga@example.com")
    assert told["Subject"] == f"Pat Prospect declined to host “{session.title}”"


def test_a_prospective_host_accepts_on_the_session_page(
    page: Page, browser: Browser, server: str, smtp_server, settings, axe
) -> None:
    settings.SITE_URL = server
    organiser = OrganiserFactory(display_name="Olga Organiser", email="olga@example.com")
    programme = ProgrammeFactory(name="Engineering talks")
    programme.organisers.add(organiser)
    pat = PersonFactory(display_name="Pat Prospect", email="pat@example.com")
    ProspectiveHost.objects.create(programme=programme, person=pat, answer="yes")

    with override_settings(MAILERS=smtp_server.mailers):
        _propose_draft(page, server, organiser, "Pat Prospect")
        session = Session.objects.get(programme=programme)
        context = browser.new_context()
        pat_page = context.new_page()
        sign_in(pat_page, server, pat)
        pat_page.goto(f"{server}/sessions/{session.pk}/hosting/")
        assert axe(pat_page) == ""
        pat_page.goto(f"{server}/sessions/{session.pk}/")
        assert axe(pat_page) == ""
        card = pat_page.locator("#rsvp")
        expect(card.get_by_role("heading", name="Will you host it?")).to_be_visible()
        card.get_by_role("button", name="Accept and host it").click()
        expect(pat_page).to_have_url(f"{server}/sessions/{session.pk}/")
        expect(pat_page.locator(".message-success")).to_have_text(
            "You host this session. Schedule it when you have a slot."
        )
        expect(pat_page.locator(".proposed-by")).to_have_text(
            "Proposed by Olga Organiser on behalf of the host · the host accepted"
        )
        context.close()

    session.refresh_from_db()
    assert session.host_accepted_at is not None
    [told] = _mails(smtp_server, "olga@example.com")
    assert told["Subject"] == f"Pat Prospect will host “{session.title}”"
