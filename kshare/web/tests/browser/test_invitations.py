"""Acceptance: an organiser schedules a session via the slot finder, invites a team, and the
invitee answers from the link in the mail they received (real SMTP), without signing in."""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy

import icalendar
import pytest
from django.test import override_settings
from playwright.sync_api import Browser, Page, expect

from kshare.people.tests.factories import OrganiserFactory, PersonFactory, TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Invitation, Session, State
from kshare.sessions.tests.factories import SessionFactory
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_organiser_schedules_via_slot_finder_invites_a_team_and_the_invitee_rsvps_from_the_mail(
    page: Page, browser: Browser, server: str, smtp_server, settings, axe
) -> None:
    settings.SITE_URL = server  # the links in the mail lead to the live server
    organiser = OrganiserFactory(display_name="Olga Organiser")
    programme = ProgrammeFactory(name="Engineering talks")
    programme.organisers.add(organiser)
    data = TeamFactory(name="Data")
    ines = PersonFactory(
        display_name="Ines Invitee", email="ines@example.com", team=data, timezone="Europe/Lisbon"
    )
    dan = PersonFactory(display_name="Dan Data", email="dan@example.com", team=data)
    PersonFactory(display_name="Sam Sales", email="sam@example.com", team=TeamFactory(name="Sales"))
    session = SessionFactory(programme=programme, title="Event sourcing in practice")

    with override_settings(MAILERS=smtp_server.mailers):
        sign_in(page, server, organiser)
        page.goto(f"{server}/sessions/{session.pk}/")
        page.get_by_role("link", name="Schedule", exact=True).click()

        # The slot finder, planning for the Data team.
        finder = page.locator("#slot-finder")
        finder.get_by_label("A team").check()
        finder.get_by_role("combobox", name=re.compile(r"^Team")).select_option(label="Data")
        finder.get_by_role("button", name="Find slots").click()
        expect(
            finder.get_by_role("heading", name="Proposed slots for the Data team")
        ).to_be_visible()
        first = finder.get_by_role("button", name=re.compile(r"^Choose this slot")).first
        first.click()
        # Straight on to inviting, with the team the slot was found for already ticked.
        expect(page).to_have_url(f"{server}/sessions/{session.pk}/invite/?team={data.pk}")
        expect(page.locator(".message-success")).to_contain_text("Scheduled.")
        session.refresh_from_db()
        assert session.state == State.SCHEDULED
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Invite people to “Event sourcing in practice”"
        )
        teams = page.get_by_role("group", name="Teams (optional)")
        expect(teams.get_by_label("Data")).to_be_checked()
        assert axe(page) == ""
        # A colleague from another team, found with the live search (htmx), and the Data team.
        page.get_by_label("Name or e-mail address").fill("sam")
        page.get_by_role("checkbox", name=re.compile("Sam Sales")).check()
        page.get_by_role("button", name="Send invitations").click()
        expect(page.locator(".message-success")).to_have_text(
            "Invited 3 people: the invitations are on their way."
        )
        expect(page.locator("table.data tbody tr")).to_have_count(3)
        expect(page.get_by_role("row", name=re.compile("Ines Invitee"))).to_contain_text(
            "No answer yet"
        )

    # The mail Ines received, with its calendar invitation.
    received = {m["To"]: m for m in smtp_server.messages}
    host = session.host_links.get().person.email
    assert sorted(received) == sorted(
        ["dan@example.com", host, "ines@example.com", "sam@example.com"]
    )
    # The host is not invited: they got their own confirmation when the session was scheduled.
    host_mail = email.message_from_bytes(received[host].as_bytes(), policy=default_policy)
    assert host_mail["Subject"].startswith(
        "Scheduled: your session “Event sourcing in practice” — "
    )
    message = email.message_from_bytes(
        received["ines@example.com"].as_bytes(), policy=default_policy
    )
    [calendar_part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    cal = icalendar.Calendar.from_ical(calendar_part.get_payload(decode=True))
    [event] = cal.walk("VEVENT")
    assert (cal["METHOD"], event.decoded("DTSTART"), event["SEQUENCE"]) == (
        "REQUEST",
        Session.objects.get(pk=session.pk).start,
        0,
    )
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"^Going: (\S+)$", body, re.MULTILINE).group(1)
    assert link.startswith(f"{server}/sessions/rsvp/")

    # Ines opens the link in her own browser, not signed in.
    context = browser.new_context()
    invitee_page = context.new_page()
    invitee_page.goto(link)
    expect(invitee_page.get_by_role("heading", level=1)).to_have_text("Event sourcing in practice")
    expect(invitee_page.get_by_role("radio", name="Going", exact=True)).to_be_checked()
    assert Invitation.objects.get(person=ines).response == Invitation.Response.PENDING
    assert axe(invitee_page) == ""
    invitee_page.get_by_role("button", name="Send my answer").click()
    expect(invitee_page.get_by_role("heading", level=2)).to_have_text(
        "You are going — see you there!"
    )
    context.close()
    assert Invitation.objects.get(person=ines).response == Invitation.Response.YES
    assert Invitation.objects.get(person=dan).response == Invitation.Response.PENDING

    page.reload()
    expect(page.get_by_role("row", name=re.compile("Ines Invitee"))).to_contain_text("Going")
