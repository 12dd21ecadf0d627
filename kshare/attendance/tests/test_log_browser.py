"""The attendance log in Chromium: a check-in arrives without a reload, the host adds someone by
typing their name and removes someone after confirming; the same without JavaScript; axe in
light and dark colours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kshare.people.tests.factories import PersonFactory
from kshare.sessions.attendance import attendance_add
from kshare.sessions.models import Attendance
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe


def _running(host):
    now = timezone.now()
    return ScheduledSessionFactory(
        title="Metrics that matter",
        start=now - timedelta(minutes=5),
        end=now + timedelta(minutes=40),
        host=host,
    )


def test_the_host_watches_check_ins_arrive_adds_and_removes(page: Page, server: str, axe):
    host = PersonFactory(display_name="Hana Host")
    anna = PersonFactory(display_name="Anna Attendee")
    PersonFactory(display_name="Dan Deviceless")
    session = _running(host)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_in(page, server, host)
    page.goto(f"{server}/sessions/{session.pk}/")
    page.get_by_role("link", name="Attendance log (0)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance log")
    page.evaluate("window.notReloaded = true")

    # Anna checks in from her phone: the host's list shows her within a poll.
    attendance_add(session=session, person=anna, by=anna, method=Attendance.Method.CHECK_IN)
    live = page.locator("#attendance-live")
    expect(live.locator(".attendee-name")).to_have_text(["Anna Attendee"], timeout=15_000)
    expect(live.get_by_role("heading")).to_have_text("Checked in (1)")

    # Dan has no device: the host types his name and adds him.
    page.get_by_label("Name or e-mail address").press_sequentially("dan")
    page.get_by_role("button", name="Add Dan Deviceless").click()
    expect(live.locator(".attendee-name")).to_have_text(["Anna Attendee", "Dan Deviceless"])
    expect(live.locator(".message-success")).to_have_text(
        "Dan Deviceless is on the attendance log."
    )
    expect(page.get_by_role("button", name="Add Dan Deviceless")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert axe(page) == "", scheme

    # Removing asks first.
    live.get_by_role("link", name="Remove Anna Attendee from the log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Remove Anna Attendee from the attendance log?"
    )
    assert axe(page) == ""
    page.get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_have_text("Anna Attendee is off the attendance log.")
    expect(page.locator("#attendance-live .attendee-name")).to_have_text(["Dan Deviceless"])
    assert list(
        Attendance.objects.filter(session=session).values_list("person__display_name", flat=True)
    ) == ["Dan Deviceless"]
    assert errors == []


def test_the_log_works_without_javascript(new_context, server: str):
    host = PersonFactory(display_name="Hana Host")
    PersonFactory(display_name="Dan Deviceless")
    session = _running(host)
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, server, host)
    page.goto(f"{server}/sessions/{session.pk}/attendance/")
    page.get_by_label("Name or e-mail address").fill("dan")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Add Dan Deviceless").click()
    expect(page.locator(".messages")).to_have_text("Dan Deviceless is on the attendance log.")
    expect(page.locator("#attendance-live .attendee-name")).to_have_text(["Dan Deviceless"])
    page.get_by_role("link", name="Remove Dan Deviceless from the log").click()
    page.get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_have_text("Dan Deviceless is off the attendance log.")
    assert Attendance.objects.filter(session=session).count() == 0
