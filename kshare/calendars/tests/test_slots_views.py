"""The slot finder on a session's schedule page and at /calendar/slots/<pk>/."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import State
from kshare.sessions.tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def host():
    return PersonFactory(email="host@example.com", timezone="Europe/Amsterdam")


@pytest.fixture
def session(host):
    return SessionFactory(title="Typing Python", host=host)


def test_schedule_page_shows_proposed_slots_in_the_organisers_timezone(client, host, session):
    client.force_login(host)
    response = client.get(f"/sessions/{session.pk}/schedule/")
    assert response.status_code == 200
    slots = response.context["slots"]
    assert len(slots) == 10
    first = slots[0]
    assert str(first["start"].tzinfo) == "Europe/Amsterdam"
    lead = timezone.localdate() + timedelta(days=14)
    assert first["start"].date() >= lead
    html = response.content.decode()
    assert html.count(">Choose this slot<") == 10
    assert f'name="start" value="{first["start_input"]}"' in html
    assert "Find a slot" in html


def test_choose_this_slot_posts_to_the_schedule_action_and_stores_utc(client, host, session):
    client.force_login(host)
    row = client.get(f"/sessions/{session.pk}/schedule/").context["slots"][0]
    response = client.post(
        f"/sessions/{session.pk}/schedule/",
        {"start": row["start_input"], "end": row["end_input"]},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state == State.SCHEDULED
    assert (session.start, session.end) == (row["slot"].start, row["slot"].end)
    assert session.start.tzinfo == UTC
