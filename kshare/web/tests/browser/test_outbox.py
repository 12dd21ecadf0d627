"""The e-mail outbox as an admin uses it: find it in the account menu, see a failed mail, retry."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from kshare.outbox.models import OutboxMessage
from kshare.outbox.tests.factories import OutboxMessageFactory
from kshare.people.tests.factories import AdminFactory
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_an_admin_finds_a_failed_mail_and_sends_it_again(page: Page, server: str, axe) -> None:
    admin = AdminFactory(display_name="Ada Admin")
    OutboxMessageFactory(subject="Sent long ago", status=OutboxMessage.Status.SENT, attempts=1)
    failed = OutboxMessageFactory(
        subject="Pandas tricks: you are invited",
        status=OutboxMessage.Status.FAILED,
        attempts=10,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        html='<p>Hello <script>alert("x")</script></p>',
    )

    sign_in(page, server, admin)
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="E-mail outbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail outbox")
    page.get_by_role("navigation", name="Filter by status").get_by_role(
        "link", name="Failed (1)"
    ).click()
    expect(page).to_have_url(f"{server}/outbox/?status=failed")
    expect(
        page.get_by_role("cell", name="SMTPServerDisconnected: Connection unexpectedly closed")
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Sent long ago")).to_have_count(0)
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        problems.append(axe(page))

    page.get_by_role("link", name="Pandas tricks: you are invited").click()
    expect(page.get_by_role("heading", name="HTML (source)")).to_be_visible()
    expect(page.locator("pre").last).to_have_text('<p>Hello <script>alert("x")</script></p>')
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        problems.append(axe(page))

    page.get_by_role("button", name="Retry now").click()
    expect(page.locator(".message-success")).to_have_text(
        "“Pandas tricks: you are invited” is sent."
    )
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Pandas tricks: you are invited"]
    if any(problems):
        pytest.fail("axe found issues:\n" + "\n".join(p for p in problems if p), pytrace=False)
