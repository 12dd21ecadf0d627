"""Calendar names and descriptions (NAME, X-WR-CALNAME, X-WR-CALDESC, DESCRIPTION) are TEXT
values: a line break, comma, semicolon or backslash in a title, a person's name or a programme's
cadence is escaped, so every feed and invitation is built and reads back as written."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from kshare.calendars.tests.feed_support import feed_of, parse, summaries
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Invitation
from kshare.sessions.tests.factories import InvitationFactory, ScheduledSessionFactory
from kshare.sessions.tests.test_invitations import calendar_of, invite

pytestmark = pytest.mark.django_db

AWKWARD = 'Ops, R&D; "the\\backslash" team\nsecond line'


def text(cal: Calendar, name: str) -> str:
    """A calendar property read back as a TEXT value (RFC 5545 3.3.11). icalendar parses the
    calendar but keeps an X- or NAME value as written, so the unescaping is done here."""
    raw = cal[name].to_ical().decode()
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


def test_personal_feed_with_awkward_names_is_served_and_reads_back(client, person):
    person.display_name = "Mia, the; \\ Member\nof Ops"
    person.save(update_fields=["display_name"])
    ScheduledSessionFactory(title=AWKWARD, host=person)
    feed = feed_of(person)

    response = client.get(reverse("calendars:person_feed", args=[feed.token]))

    cal = parse(response)
    assert text(cal, "X-WR-CALNAME") == "kshare: Mia, the; \\ Member\nof Ops"
    assert text(cal, "NAME") == "kshare: Mia, the; \\ Member\nof Ops"
    expected = "Knowledge-sharing sessions of Mia, the; \\ Member\nof Ops"
    assert text(cal, "X-WR-CALDESC") == expected
    assert str(cal["DESCRIPTION"]) == expected
    assert summaries(cal) == [AWKWARD]
    body = response.content.decode()
    assert "X-WR-CALNAME:kshare: Mia\\, the\\; \\\\ Member\\nof Ops\r\n" in body


def test_programme_feed_with_awkward_name_and_cadence_is_served_and_reads_back(
    member_client, person
):
    programme = ProgrammeFactory(
        name="Talks, demos; \\ more", slug="talks", cadence="Fridays;\nsometimes, Mondays"
    )
    ScheduledSessionFactory(title=AWKWARD, programme=programme)

    cal = parse(member_client.get("/calendar/programme/talks.ics"))

    assert text(cal, "X-WR-CALNAME") == "Talks, demos; \\ more"
    assert text(cal, "NAME") == "Talks, demos; \\ more"
    assert text(cal, "X-WR-CALDESC") == "Fridays;\nsometimes, Mondays"
    assert summaries(cal) == [AWKWARD]


def test_session_ics_with_an_awkward_title(member_client, person):
    session = ScheduledSessionFactory(title=AWKWARD)
    InvitationFactory(session=session, person=person)

    cal = parse(member_client.get(reverse("calendars:session_ics", args=[session.pk])))

    assert text(cal, "X-WR-CALNAME") == AWKWARD
    assert summaries(cal) == [AWKWARD]


def test_an_invitation_to_a_session_with_an_awkward_title_is_mailed(
    django_capture_on_commit_callbacks, person
):
    session = ScheduledSessionFactory(title=AWKWARD)

    invite(session, [person], capture=django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.subject.startswith('Invitation: Ops, R&D; "the\\backslash" team second line — ')
    _, cal = calendar_of(message)
    assert text(cal, "X-WR-CALNAME") == AWKWARD
    assert text(cal, "NAME") == AWKWARD
    assert summaries(cal) == [AWKWARD]
    invitation = Invitation.objects.get(session=session, person=person)
    assert invitation.mail_due_at is None
    assert invitation.mailed_sequence == session.sequence
