"""The join link of an online session (``Session.call_url``): https only, with the same message
from the forms and the API; shown only to readers who may see the session; in the invitation's
iCalendar as LOCATION (when there is no room) and CONFERENCE (RFC 7986)."""

from __future__ import annotations

import re

import icalendar
import pytest

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.inputs import JOIN_LINK_HTTPS, SessionInput, session_input_check
from kshare.sessions.models import Session, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.sessions.tests.test_invitations import calendar_of, invite, to_invitees
from kshare.sessions.tests.test_views import _propose_data

pytestmark = pytest.mark.django_db

CALL = "https://meet.example.com/ks-42"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://meet.example.com/ks-42", JOIN_LINK_HTTPS),
        ("javascript:alert(1)", "Enter a valid URL."),
        ("ftp://meet.example.com/ks-42", JOIN_LINK_HTTPS),
    ],
)
def test_the_propose_form_refuses_a_join_link_that_is_not_https(member_client, value, message):
    response = member_client.post("/sessions/propose/", _propose_data(call_url=value))
    assert response.status_code == 200
    assert response.context["form"].errors["call_url"] == [message]
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Session.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://meet.example.com/ks-42", JOIN_LINK_HTTPS),
        ("javascript:alert(1)", "Enter a valid URL."),
    ],
)
def test_the_api_refuses_a_join_link_that_is_not_https_with_the_same_message(value, message):
    ProgrammeFactory()
    api = ApiClient(token_create(PersonFactory(), scope="write"))
    response = api.post("/api/v1/sessions", {"title": "Online", "call_url": value})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": response.json()["error"]["message"],
        "fields": {"call_url": [message]},
    }
    assert Session.objects.count() == 0


def test_an_https_join_link_is_kept_and_the_api_shows_it_with_the_way_through_kshare():
    ProgrammeFactory()
    api = ApiClient(token_create(PersonFactory(), scope="write"))
    response = api.post("/api/v1/sessions", {"title": "Online", "call_url": CALL})
    assert response.status_code == 201
    session = Session.objects.get()
    assert session.call_url == CALL
    body = response.json()
    assert (body["call_url"], body["join_url"]) == (CALL, f"/sessions/{session.pk}/join/")


def test_a_session_without_a_join_link_has_no_join_url_in_the_api():
    session = ScheduledSessionFactory()
    api = ApiClient(token_create(PersonFactory(), scope="read"))
    body = api.get(f"/api/v1/sessions/{session.pk}").json()
    assert (body["call_url"], body["join_url"]) == ("", "")


def test_an_edit_keeps_an_http_link_stored_before_https_was_required():
    person = PersonFactory()
    session = ScheduledSessionFactory(call_url="http://old.example.com/room", host=person)
    data = SessionInput(
        title=session.title,
        programme=session.programme,
        start=session.start,
        end=session.end,
        call_url="http://old.example.com/room",
    )
    assert session_input_check(data, by=person, session=session).call_url == (
        "http://old.example.com/room"
    )


def _join_links(page: str) -> list[str]:
    return re.findall(r'href="([^"]*/join/|https://meet[^"]*)"', page)


def test_the_session_page_shows_the_way_to_the_call_only_to_readers_who_may_see_it(client):
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    session = ScheduledSessionFactory(call_url=CALL, visibility=Visibility.TEAMS)
    session.teams.add(red)
    insider, outsider = PersonFactory(team=red), PersonFactory(team=blue)

    client.force_login(insider)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert _join_links(page) == [f"/sessions/{session.pk}/join/"]

    client.force_login(outsider)
    assert client.get(f"/sessions/{session.pk}/").status_code == 404
    assert client.get(f"/sessions/{session.pk}/join/").status_code == 404


def test_the_invitation_calendar_carries_the_join_link_as_location_and_conference(
    django_capture_on_commit_callbacks,
):
    session = ScheduledSessionFactory(call_url=CALL, location="")
    invite(session, [PersonFactory()], capture=django_capture_on_commit_callbacks)
    [message] = to_invitees(session)
    _, cal = calendar_of(message)
    [event] = cal.walk("VEVENT")
    assert str(event["LOCATION"]) == CALL
    conference = event["CONFERENCE"]
    assert str(conference) == CALL
    assert dict(conference.params) == {
        "VALUE": "URI",
        "FEATURE": "VIDEO",
        "LABEL": "Join the call",
    }
    assert str(event["URL"]) == f"http://127.0.0.1:8000/sessions/{session.pk}/"


def test_a_room_stays_the_location_and_the_call_is_the_conference(
    django_capture_on_commit_callbacks,
):
    session = ScheduledSessionFactory(call_url=CALL, location="Room 4")
    invite(session, [PersonFactory()], capture=django_capture_on_commit_callbacks)
    [message] = to_invitees(session)
    [event] = calendar_of(message)[1].walk("VEVENT")
    assert (str(event["LOCATION"]), str(event["CONFERENCE"])) == ("Room 4", CALL)


def test_a_session_without_a_join_link_has_no_conference(django_capture_on_commit_callbacks):
    session = ScheduledSessionFactory(location="Room 4")
    invite(session, [PersonFactory()], capture=django_capture_on_commit_callbacks)
    [message] = to_invitees(session)
    [event] = calendar_of(message)[1].walk("VEVENT")
    assert "CONFERENCE" not in event
    assert isinstance(event, icalendar.Event)
