"""Moving a session keeps its length; a session longer than its format allows, or one spanning
days, is refused before anything is saved or mailed (issue 14, scheduling correctness)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.people.tests.factories import PersonFactory
from kshare.sessions import services
from kshare.sessions.models import SessionChange
from kshare.sessions.tests.factories import InvitationFactory, ScheduledSessionFactory
from kshare.sessions.tests.test_invitations import calendar_of

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _local(moment: datetime) -> str:
    """The datetime-local value a Berlin-based person sees and types."""
    return timezone.localtime(moment, BERLIN).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def talk(person):
    """A 45-minute talk at 10:00 Berlin time in 20 days, hosted by ``person``, two invitees
    already mailed."""
    day = timezone.localdate(timezone.now(), BERLIN) + timedelta(days=20)
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=BERLIN)
    session = ScheduledSessionFactory(
        host=person, title="Kafka basics", start=start, end=start + timedelta(minutes=45)
    )
    for email in ("ana@example.com", "ben@example.com"):
        InvitationFactory(
            session=session, person=PersonFactory(email=email), mailed_at=timezone.now()
        )
    mail.outbox.clear()
    return session


def _edit_data(session, **overrides):
    data = {
        "title": session.title,
        "abstract": session.abstract,
        "format": session.format,
        "level": session.level,
        "visibility": session.visibility,
        "programme": session.programme_id,
        "start": _local(session.start),
        "end": _local(session.end),
    }
    data.update(overrides)
    return data


def test_changing_only_the_start_on_the_schedule_page_keeps_the_45_minutes(
    member_client, talk, django_capture_on_commit_callbacks
):
    new_start = talk.start - timedelta(days=15)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            f"/sessions/{talk.pk}/schedule/",
            {"start": _local(new_start), "end": _local(talk.end)},  # the end as the page shows it
        )
    assert response.status_code == 302
    talk.refresh_from_db()
    assert (talk.start, talk.end) == (new_start, new_start + timedelta(minutes=45))
    # The invitees, and the host (member@: their own new time, host_mail.py).
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ana@example.com",
        "ben@example.com",
        "member@example.com",
    ]
    for message in mail.outbox:  # every calendar gets the new 45 minutes
        [event] = calendar_of(message)[1].walk("VEVENT")
        assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (talk.start, talk.end)


def test_changing_only_the_start_on_the_edit_page_keeps_the_45_minutes(member_client, talk):
    new_start = talk.start - timedelta(days=15)
    response = member_client.post(
        f"/sessions/{talk.pk}/edit/", _edit_data(talk, start=_local(new_start))
    )
    assert response.status_code == 302
    talk.refresh_from_db()
    assert (talk.start, talk.end) == (new_start, new_start + timedelta(minutes=45))


def test_moving_the_start_past_the_old_end_moves_the_end_too(member_client, talk):
    new_start = talk.start + timedelta(days=2, hours=3)
    response = member_client.post(
        f"/sessions/{talk.pk}/schedule/", {"start": _local(new_start), "end": _local(talk.end)}
    )
    assert response.status_code == 302
    talk.refresh_from_db()
    assert (talk.start, talk.end) == (new_start, new_start + timedelta(minutes=45))


def test_a_new_end_chosen_on_purpose_is_kept(member_client, talk):
    new_start = talk.start + timedelta(days=1)
    new_end = new_start + timedelta(minutes=90)
    response = member_client.post(
        f"/sessions/{talk.pk}/schedule/", {"start": _local(new_start), "end": _local(new_end)}
    )
    assert response.status_code == 302
    talk.refresh_from_db()
    assert (talk.start, talk.end) == (new_start, new_end)


@pytest.mark.parametrize(
    "page, days, hours, message",
    [
        ("schedule", 15, 0, "A session ends on the day it starts: choose an end on the same day."),
        ("edit", 15, 0, "A session ends on the day it starts: choose an end on the same day."),
        ("schedule", 0, 5, "A talk lasts at most 2 h 00 min: choose an earlier end."),
        ("edit", 0, 5, "A talk lasts at most 2 h 00 min: choose an earlier end."),
    ],
)
def test_a_session_too_long_or_spanning_days_is_refused_and_nobody_is_mailed(
    member_client, talk, django_capture_on_commit_callbacks, page, days, hours, message
):
    before = (talk.start, talk.end, talk.sequence)
    new_start = talk.start - timedelta(days=days) + timedelta(hours=1)
    new_end = new_start + timedelta(days=days, hours=hours, minutes=45 if hours == 0 else 0)
    data = {"start": _local(new_start), "end": _local(new_end)}
    if page == "edit":
        data = _edit_data(talk, **data)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = member_client.post(f"/sessions/{talk.pk}/{page}/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["end"] == [message]
    assert message in response.content.decode()
    talk.refresh_from_db()
    assert (talk.start, talk.end, talk.sequence) == before
    assert (callbacks, mail.outbox) == ([], [])
    assert list(talk.changes.values_list("kind", flat=True)) == []


def test_the_service_refuses_a_15_day_session_with_an_error_on_end(talk, person):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.session_schedule(
            session=talk,
            start=talk.start - timedelta(days=15),
            end=talk.end,
            by=person,
        )
    assert caught.value.message_dict == {
        "end": ["A session ends on the day it starts: choose an end on the same day."]
    }
    assert SessionChange.objects.filter(session=talk).count() == 0


def test_api_schedule_without_an_end_keeps_the_length(person, talk):
    talk.end = talk.start + timedelta(minutes=60)
    talk.save()
    client = ApiClient(token_create(person, scope="write"))
    new_start = talk.start - timedelta(days=15)
    response = client.post(f"sessions/{talk.pk}/schedule", {"start": new_start.isoformat()})
    assert response.status_code == 200, response.content
    talk.refresh_from_db()
    assert (talk.start, talk.end) == (new_start, new_start + timedelta(minutes=60))


def test_api_refuses_a_session_spanning_days_with_a_400_and_mails_nobody(
    person, talk, django_capture_on_commit_callbacks
):
    client = ApiClient(token_create(person, scope="write"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"sessions/{talk.pk}/schedule",
            {
                "start": (talk.start - timedelta(days=15)).isoformat(),
                "end": talk.end.isoformat(),
            },
        )
    assert response.status_code == 400
    message = "A session ends on the day it starts: choose an end on the same day."
    assert response.json()["error"]["message"] == message
    assert response.json()["error"]["fields"] == {"end": [message]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"sessions/{talk.pk}", {"end": (talk.start + timedelta(hours=3)).isoformat()}
        )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "end": ["A talk lasts at most 2 h 00 min: choose an earlier end."]
    }
    assert mail.outbox == []
