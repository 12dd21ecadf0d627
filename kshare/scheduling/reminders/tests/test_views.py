"""The read-only "Reminders" box on the session page."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.models import Reminder
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)  # summer time in Berlin from 01:00 UTC that day


def box(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="card" id="reminders">(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else ""


@pytest.fixture
def session():
    host = PersonFactory(email="hal@example.com", timezone="Europe/Berlin")
    session = ScheduledSessionFactory(start=START, host=host)
    Reminder.objects.create(
        session=session,
        kind="host_prep",
        offset_minutes=7 * 24 * 60,
        due_at=START - timedelta(days=7),
        sent_at=START - timedelta(days=7, seconds=-30),
        recipients=2,
    )
    Reminder.objects.create(
        session=session, kind="invitee", offset_minutes=24 * 60, due_at=START - timedelta(days=1)
    )
    Reminder.objects.create(
        session=session, kind="invitee", offset_minutes=60, due_at=START - timedelta(hours=1)
    )
    return session


def test_hosts_see_pending_and_sent_reminders_in_their_timezone(client, session):
    client.force_login(session.host_links.get().person)

    response = client.get(f"/sessions/{session.pk}/")

    assert response.status_code == 200
    assert box(response) == (
        '<h2>Reminders</h2> <ul class="history"> '
        "<li>Host preparation reminder, 7 days before: sent "
        '<time datetime="2027-03-21T10:00:30+01:00">21 Mar 2027, 10:00</time> to 2 people</li> '
        "<li>Invitee reminder, 24 hours before: due "
        '<time datetime="2027-03-27T10:00:00+01:00">27 Mar 2027, 10:00</time></li> '
        "<li>Invitee reminder, 1 hour before: due "
        '<time datetime="2027-03-28T10:00:00+02:00">28 Mar 2027, 10:00</time></li> '
        "</ul> "
        '<p class="meta">Times in Europe/Berlin. Reminders that would come too late are not '
        "sent.</p>"
    )


def test_organisers_of_the_programme_see_the_box_in_their_own_timezone(client, session):
    olga = OrganiserFactory(timezone="America/New_York")
    session.programme.organisers.add(olga)
    client.force_login(olga)

    text = box(client.get(f"/sessions/{session.pk}/"))

    assert "27 Mar 2027, 05:00" in text  # 09:00 UTC on 27 March is 05:00 EDT
    assert "Times in America/New_York." in text


def test_members_do_not_see_the_box(client, session):
    client.force_login(PersonFactory())

    response = client.get(f"/sessions/{session.pk}/")

    assert response.status_code == 200
    assert 'id="reminders"' not in response.content.decode()


def test_no_box_for_a_proposal_and_a_plain_note_when_nothing_is_planned(client):
    host = PersonFactory()
    proposal = SessionFactory(host=host)
    bare = ScheduledSessionFactory(
        host=host,
        programme=ProgrammeFactory(host_reminder_days="", invitee_reminder_hours="", nudge_days=0),
    )
    client.force_login(host)

    assert 'id="reminders"' not in client.get(f"/sessions/{proposal.pk}/").content.decode()
    assert box(client.get(f"/sessions/{bare.pk}/")) == (
        '<h2>Reminders</h2> <p class="meta">No reminders planned.</p>'
    )


def test_the_box_costs_one_query_however_many_reminders(client, session, django_assert_num_queries):
    host = session.host_links.get().person
    small = ScheduledSessionFactory(start=START, host=host)
    Reminder.objects.create(session=small, kind="nudge", offset_minutes=60, due_at=START)
    client.force_login(host)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/sessions/{small.pk}/").status_code == 200

    with django_assert_num_queries(len(ctx.captured_queries)):
        assert client.get(f"/sessions/{session.pk}/").status_code == 200


def test_the_admin_lists_reminders_and_digests(client, admin_person, session):
    client.force_login(admin_person)

    reminders = client.get("/admin/scheduling/reminder/?sent_at__isempty=1")
    digests = client.get("/admin/scheduling/organiserdigest/")

    assert (reminders.status_code, digests.status_code) == (200, 200)
    assert "2 reminders" in reminders.content.decode()  # the two pending ones
