"""The cadence pages in Chromium: next slots and the organiser's nudge box, the cadence form and
its errors; axe in light and dark colours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kshare.feedback.models import ProspectiveHost
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.models import Programme
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.topics.models import TopicRequest
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe


def _audit(page: Page, axe) -> list[str]:
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        report = axe(page)
        if report:
            problems.append(f"{page.url} ({scheme}):\n{report}")
    return problems


def test_cadence_pages_and_form(page: Page, server: str, axe) -> None:
    organiser = OrganiserFactory(email="olga@example.com", timezone="Europe/Amsterdam")
    organiser.set_password(PASSWORD)
    organiser.save()
    programme = ProgrammeFactory(
        name="Data Guild",
        slug="data-guild",
        cadence_rrule="FREQ=DAILY",
        cadence_starts=timezone.now() + timedelta(days=1),
        cadence_timezone="Europe/Amsterdam",
    )
    programme.organisers.add(organiser)
    ProspectiveHost.objects.create(
        programme=programme, person=PersonFactory(display_name="Hannah Host"), answer="yes"
    )
    TopicRequest.objects.create(title="Intro to dbt", requester=PersonFactory())
    sign_in(page, server, organiser)
    problems = []

    page.goto(f"{server}/programmes/data-guild/")
    expect(page.get_by_role("heading", name="Next slots")).to_be_visible()
    expect(page.get_by_role("link", name="Hannah Host")).to_be_visible()
    expect(page.get_by_role("link", name="Intro to dbt")).to_be_visible()
    problems += _audit(page, axe)

    page.goto(f"{server}/programmes/data-guild/edit/")
    page.get_by_label("Custom recurrence rule (RRULE)").check()
    page.get_by_label("Custom recurrence rule", exact=False).last.fill("FREQ=SOMETIMES")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("FREQ=SOMETIMES is not one of DAILY, WEEKLY, MONTHLY, YEARLY", exact=False)
    ).to_be_visible()
    problems += _audit(page, axe)

    page.get_by_label("Every second week, on the first slot's weekday and time").check()
    page.get_by_label("First slot (optional)").fill("2030-03-07T16:00")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{server}/programmes/data-guild/")
    programme = Programme.objects.get(pk=programme.pk)
    assert programme.cadence_rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    assert problems == []
