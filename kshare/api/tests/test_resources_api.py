"""RSVP, attendance, programmes and people through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.people.tests.factories import (
    AdminFactory,
    OrganiserFactory,
    PersonFactory,
    SkillFactory,
    TeamFactory,
)
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Attendance, Invitation, Session
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


# --- RSVP -----------------------------------------------------------------------------------


def test_rsvp_yes_then_waitlist(person):
    session = ScheduledSessionFactory(capacity=1)
    first, second = api_for(PersonFactory()), api_for(person)
    assert first.post(f"sessions/{session.pk}/rsvp", {"response": "yes"}).json()["has_seat"]
    body = second.post(f"sessions/{session.pk}/rsvp", {"response": "yes"}).json()
    assert body["response"] == "yes"
    assert (body["has_seat"], body["waitlisted"], body["waitlist_position"]) == (False, True, 1)
    assert "waitlist, number 1" in body["message"]
    assert second.get(f"sessions/{session.pk}/rsvp").json() == body
    # The seat holder says no: the waitlist moves up.
    first.post(f"sessions/{session.pk}/rsvp", {"response": "no"})
    body = second.get(f"sessions/{session.pk}/rsvp").json()
    assert (body["has_seat"], body["waitlisted"]) == (True, False)


def test_rsvp_before_answering(person):
    session = ScheduledSessionFactory()
    body = api_for(person).get(f"sessions/{session.pk}/rsvp").json()
    assert body == {
        "session_id": session.pk,
        "invited": False,
        "response": "pending",
        "responded_at": None,
        "has_seat": False,
        "waitlisted": False,
        "waitlist_position": None,
        "message": "No answer yet.",
    }


def test_rsvp_errors(person):
    client = api_for(person)
    proposed = SessionFactory()
    response = client.post(f"sessions/{proposed.pk}/rsvp", {"response": "yes"})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Only upcoming scheduled sessions take answers."
    scheduled = ScheduledSessionFactory()
    response = client.post(f"sessions/{scheduled.pk}/rsvp", {"response": "pending"})
    assert response.status_code == 422
    hidden = ScheduledSessionFactory(visibility="invite_only")
    assert client.post(f"sessions/{hidden.pk}/rsvp", {"response": "yes"}).status_code == 404
    assert client.get(f"sessions/{hidden.pk}/rsvp").status_code == 404
    read = api_for(person, scope="read")
    assert read.post(f"sessions/{scheduled.pk}/rsvp", {"response": "yes"}).status_code == 403
    assert not Invitation.objects.filter(person=person).exists()


def test_invitee_answers_an_invite_only_session(person):
    session = ScheduledSessionFactory(visibility="invite_only")
    Invitation.objects.create(session=session, person=person)
    body = api_for(person).post(f"sessions/{session.pk}/rsvp", {"response": "maybe"}).json()
    assert (body["invited"], body["response"]) == (True, "maybe")


# --- attendance -----------------------------------------------------------------------------


@pytest.fixture
def held(db):
    host = PersonFactory()
    session = PastSessionFactory(host=host)
    return session, host


def test_host_records_and_lists_attendance(held):
    session, host = held
    people = [PersonFactory(display_name=f"P{i}") for i in range(3)]
    client = api_for(host)
    response = client.post(
        f"sessions/{session.pk}/attendance", {"people": [p.pk for p in people] + [people[0].pk]}
    )
    assert response.status_code == 201
    assert response.json() == {"recorded": 3}
    # Recording again adds nothing.
    response = client.post(f"sessions/{session.pk}/attendance", {"people": [people[0].pk]})
    assert response.json() == {"recorded": 0}
    body = client.get(f"sessions/{session.pk}/attendance", {"limit": 2}).json()
    assert [a["person"]["display_name"] for a in body["items"]] == ["P0", "P1"]
    assert body["items"][0]["method"] == "host_list"
    body = client.get(
        f"sessions/{session.pk}/attendance", {"limit": 2, "cursor": body["next_cursor"]}
    ).json()
    assert [a["person"]["display_name"] for a in body["items"]] == ["P2"]
    assert client.delete(f"sessions/{session.pk}/attendance/{people[1].pk}").status_code == 204
    assert set(Attendance.objects.values_list("person_id", flat=True)) == {
        people[0].pk,
        people[2].pk,
    }
    assert client.delete(f"sessions/{session.pk}/attendance/{people[1].pk}").status_code == 404


def test_attendee_sees_only_their_own_row(held):
    session, _ = held
    me, other = PersonFactory(), PersonFactory()
    AttendanceFactory(session=session, person=me)
    AttendanceFactory(session=session, person=other)
    body = api_for(me).get(f"sessions/{session.pk}/attendance").json()
    assert [a["person"]["id"] for a in body["items"]] == [me.pk]
    assert api_for(PersonFactory()).get(f"sessions/{session.pk}/attendance").json()["items"] == []


def test_only_editors_record_attendance(held):
    session, _ = held
    member = PersonFactory()
    response = api_for(member).post(f"sessions/{session.pk}/attendance", {"people": [member.pk]})
    assert response.status_code == 403
    organiser = OrganiserFactory()
    session.programme.organisers.add(organiser)
    response = api_for(organiser).post(f"sessions/{session.pk}/attendance", {"people": [member.pk]})
    assert response.status_code == 201
    response = api_for(AdminFactory()).delete(f"sessions/{session.pk}/attendance/{member.pk}")
    assert response.status_code == 204


def test_attendance_before_the_start_is_409_and_unknown_people_400():
    host = PersonFactory()
    session = ScheduledSessionFactory(host=host)
    client = api_for(host)
    response = client.post(f"sessions/{session.pk}/attendance", {"people": [host.pk]})
    assert response.status_code == 409
    Session.objects.filter(pk=session.pk).update(start=timezone.now() - dt.timedelta(minutes=5))
    response = client.post(f"sessions/{session.pk}/attendance", {"people": [host.pk, 999999]})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"people": ["No such person: 999999."]}
    assert not Attendance.objects.exists()
    assert client.post(f"sessions/{session.pk}/attendance", {"people": []}).status_code == 422


def test_attendance_list_query_count(held, django_assert_num_queries):
    session, host = held
    client = api_for(host)
    client.get("me")
    for _ in range(2):
        AttendanceFactory(session=session)
    # The token, the session (and hosts, tags, teams), the rows; the edit check reads the
    # loaded host links.
    with django_assert_num_queries(6) as few:
        assert len(client.get(f"sessions/{session.pk}/attendance").json()["items"]) == 2
    for _ in range(8):
        AttendanceFactory(session=session)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get(f"sessions/{session.pk}/attendance").json()["items"]) == 10


# --- programmes -----------------------------------------------------------------------------


def test_programmes_follow_visibility():
    red = TeamFactory(name="Red", slug="red")
    open_ = ProgrammeFactory(name="Open")
    closed = ProgrammeFactory(name="Red only", visibility="teams")
    closed.teams.add(red)
    organiser = OrganiserFactory()
    closed.organisers.add(organiser)
    names = lambda person: {  # noqa: E731
        p["name"] for p in api_for(person).get("programmes").json()["items"]
    }
    assert names(PersonFactory()) == {"Open"}
    assert names(PersonFactory(team=red)) == {"Open", "Red only"}
    assert names(organiser) == {"Open", "Red only"}
    outsider = api_for(PersonFactory())
    assert outsider.get(f"programmes/{closed.pk}").status_code == 404
    body = outsider.get(f"programmes/{open_.pk}").json()
    assert body["name"] == "Open"
    assert body["url"] == f"/programmes/{open_.slug}/"
    detail = api_for(organiser).get(f"programmes/{closed.pk}").json()
    assert detail["organisers"] == [{"id": organiser.pk, "display_name": organiser.display_name}]
    assert detail["teams"] == [{"id": red.pk, "name": "Red"}]


def test_programme_list_query_count(person, django_assert_num_queries):
    client = api_for(person)
    client.get("me")
    organiser = OrganiserFactory()

    def add(n):
        for _ in range(n):
            ProgrammeFactory().organisers.add(organiser)

    add(2)
    with django_assert_num_queries(4) as few:
        assert len(client.get("programmes").json()["items"]) == 2
    add(8)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("programmes").json()["items"]) == 10


# --- people ---------------------------------------------------------------------------------


def test_people_limited_fields(person):
    team = TeamFactory(name="Data", slug="data")
    other = PersonFactory(display_name="Zoe Data", team=team, email="zoe@example.com")
    SkillFactory(person=other, tag=TagFactory(name="SQL", slug="sql"), level=3)
    PersonFactory(display_name="Gone", is_active=False)
    body = api_for(person).get("people", {"q": "zoe"}).json()
    assert body == {
        "items": [
            {
                "id": other.pk,
                "display_name": "Zoe Data",
                "team": {"id": team.pk, "name": "Data"},
                "skills": [{"tag": "SQL", "slug": "sql", "level": 3}],
                "email": None,
                "url": f"/people/{other.pk}/",
            }
        ],
        "next_cursor": None,
    }
    names = {p["display_name"] for p in api_for(person).get("people").json()["items"]}
    assert "Gone" not in names
    assert api_for(person).get("people", {"team": team.pk}).json()["items"][0]["id"] == other.pk
    assert api_for(person).get("people", {"team": 999999}).json()["items"] == []


def test_admins_see_email():
    other = PersonFactory(email="zoe@example.com")
    assert api_for(AdminFactory()).get(f"people/{other.pk}").json()["email"] == "zoe@example.com"
    assert api_for(PersonFactory()).get(f"people/{other.pk}").json()["email"] is None


def test_deactivated_person_is_404(person):
    gone = PersonFactory(is_active=False)
    assert api_for(person).get(f"people/{gone.pk}").status_code == 404


def test_people_query_count(person, django_assert_num_queries):
    client = api_for(person)
    client.get("me")

    def add(n):
        for _ in range(n):
            SkillFactory(person=PersonFactory(team=TeamFactory()))

    add(1)  # with the caller: 2
    with django_assert_num_queries(3) as few:
        assert len(client.get("people").json()["items"]) == 2
    add(8)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("people").json()["items"]) == 10
