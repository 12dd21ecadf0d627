"""``/sessions/<id>/join/``: the way to an online session's call. During the check-in window it
checks the signed-in reader in as an online attendee (once), then sends them to the call;
outside the window it only sends them on; nothing for readers who may not see the session."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory
from kshare.sessions import services
from kshare.sessions.models import Attendance, AttendanceChange, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db

CALL = "https://meet.example.com/ks-7"


def starting_in(minutes: float, **kwargs):
    start = (timezone.now() + timedelta(minutes=minutes)).replace(microsecond=0)
    kwargs.setdefault("call_url", CALL)
    return ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45), **kwargs)


def join(client, session):
    return client.get(f"/sessions/{session.pk}/join/")


def attendance_rows(session) -> list[tuple[str, str]]:
    return list(Attendance.objects.filter(session=session).values_list("person__email", "method"))


def test_joining_in_the_window_checks_in_once_and_sends_to_the_call(member_client, person):
    session = starting_in(-5)
    first = join(member_client, session)
    second = join(member_client, session)
    for response in (first, second):
        assert (response.status_code, response["Location"]) == (302, CALL)
        assert response["Cache-Control"] == "private, no-store"
    assert attendance_rows(session) == [(person.email, "remote")]
    assert AttendanceChange.objects.filter(session=session).count() == 1


def test_joining_in_the_quarter_hour_before_the_start_checks_in(member_client, person):
    session = starting_in(10)
    assert join(member_client, session)["Location"] == CALL
    assert attendance_rows(session) == [(person.email, "remote")]


@pytest.mark.parametrize("minutes", [60, -50])
def test_joining_outside_the_window_sends_to_the_call_and_records_nothing(member_client, minutes):
    session = starting_in(minutes)  # an hour ahead; or over (started 50 minutes ago)
    response = join(member_client, session)
    assert (response.status_code, response["Location"]) == (302, CALL)
    assert attendance_rows(session) == []


def test_joining_a_session_marked_held_records_nothing(member_client):
    session = starting_in(-5)
    host = session.host_links.get().person
    services.session_mark_held(session=session, by=host)
    assert join(member_client, session)["Location"] == CALL
    assert attendance_rows(session) == []


def test_a_cancelled_session_says_so_and_sends_nobody_anywhere(member_client):
    session = starting_in(-5)
    services.session_cancel(session=session, by=session.host_links.get().person, reason="")
    response = join(member_client, session)
    assert response.status_code == 410
    assert "was cancelled" in response.content.decode()
    assert attendance_rows(session) == []


def test_a_session_without_a_join_link_answers_404_with_a_reason(member_client):
    session = starting_in(-5, call_url="")
    response = join(member_client, session)
    assert response.status_code == 404
    assert "has no join link" in response.content.decode()
    assert attendance_rows(session) == []


def test_a_reader_who_may_not_see_the_session_gets_404_and_no_record(member_client):
    session = starting_in(-5, visibility=Visibility.INVITE_ONLY)
    response = join(member_client, session)
    assert response.status_code == 404
    assert CALL not in response.content.decode()
    assert attendance_rows(session) == []


def test_signed_out_the_link_leads_to_sign_in_and_back_writing_nothing():
    # A mail scanner opening the link has no session cookie: it records nobody.
    session = starting_in(-5)
    path = f"/sessions/{session.pk}/join/"
    response = Client().get(path)
    assert (response.status_code, response["Location"]) == (302, f"/signin/?next={quote(path)}")
    assert attendance_rows(session) == []


def test_only_get_joins(member_client):
    session = starting_in(-5)
    response = member_client.post(f"/sessions/{session.pk}/join/")
    assert response.status_code == 405
    assert attendance_rows(session) == []


def test_a_proposal_with_a_join_link_sends_on_without_a_record(member_client):
    session = SessionFactory(call_url=CALL)
    assert join(member_client, session)["Location"] == CALL
    assert attendance_rows(session) == []


def test_each_person_is_checked_in_for_themselves(client):
    session = starting_in(-5)
    ann, bob = PersonFactory(email="ann@example.com"), PersonFactory(email="bob@example.com")
    for person in (ann, bob):
        client.force_login(person)
        join(client, session)
    assert sorted(attendance_rows(session)) == [
        ("ann@example.com", "remote"),
        ("bob@example.com", "remote"),
    ]
