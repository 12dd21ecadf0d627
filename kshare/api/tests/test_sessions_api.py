"""Sessions through the API: visibility, filters, propose, update, schedule, cancel, held."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.core.tests.daytime import days_ahead_at
from kshare.people.tests.factories import (
    AdminFactory,
    OrganiserFactory,
    PersonFactory,
    TeamFactory,
)
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import CohostInvitation, Invitation, Session, SessionChange, State
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


@pytest.fixture
def world(db):
    """A public, a team-only and an invite-only session, and the people around them."""
    red, blue = TeamFactory(name="Red", slug="red"), TeamFactory(name="Blue", slug="blue")
    programme = ProgrammeFactory()
    host = PersonFactory(team=blue)
    organiser = OrganiserFactory(team=blue)
    programme.organisers.add(organiser)
    public = ScheduledSessionFactory(programme=programme, host=host, title="Public")
    teams = ScheduledSessionFactory(
        programme=programme, host=host, title="Red only", visibility="teams"
    )
    teams.teams.add(red)
    secret = ScheduledSessionFactory(
        programme=programme, host=host, title="Invite only", visibility="invite_only"
    )
    invitee = PersonFactory(team=blue)
    InvitationFactory(session=secret, person=invitee)
    return {
        "public": public,
        "teams": teams,
        "secret": secret,
        "host": host,
        "organiser": organiser,
        "invitee": invitee,
        "red_member": PersonFactory(team=red),
        "blue_member": PersonFactory(team=blue),
        "admin": AdminFactory(),
        "programme": programme,
    }


def _titles(client: ApiClient, **params) -> set[str]:
    response = client.get("sessions", params)
    assert response.status_code == 200, response.content
    return {s["title"] for s in response.json()["items"]}


@pytest.mark.parametrize(
    "role, visible",
    [
        ("red_member", {"Public", "Red only"}),
        ("blue_member", {"Public"}),
        ("invitee", {"Public", "Invite only"}),
        ("host", {"Public", "Red only", "Invite only"}),
        ("organiser", {"Public", "Red only", "Invite only"}),
        ("admin", {"Public", "Red only", "Invite only"}),
    ],
)
def test_list_and_detail_follow_visibility(world, role, visible):
    client = api_for(world[role], scope="read")
    assert _titles(client) == visible
    for key, title in (("public", "Public"), ("teams", "Red only"), ("secret", "Invite only")):
        response = client.get(f"sessions/{world[key].pk}")
        if title in visible:
            assert response.status_code == 200
            assert response.json()["title"] == title
        else:
            # Invisible is the same 404 as missing.
            assert response.status_code == 404
            assert response.json() == client.get("sessions/987654").json()


def test_team_only_programme_hides_its_sessions(world):
    closed = ProgrammeFactory(visibility="teams")
    closed.teams.add(world["red_member"].team)
    ScheduledSessionFactory(programme=closed, title="Red programme")
    assert "Red programme" in _titles(api_for(world["red_member"]))
    assert "Red programme" not in _titles(api_for(world["blue_member"]))


def test_detail_fields(world):
    session = world["public"]
    tag = TagFactory(name="Python", slug="python")
    session.tags.add(tag)
    InvitationFactory(session=session, person=world["blue_member"], response="yes")
    body = api_for(world["blue_member"]).get(f"sessions/{session.pk}").json()
    assert body["id"] == session.pk
    assert body["state"] == "scheduled"
    assert body["programme"]["id"] == world["programme"].pk
    assert body["tags"] == [{"name": "Python", "slug": "python"}]
    assert body["hosts"] == [
        {"id": world["host"].pk, "display_name": world["host"].display_name, "role": "host"}
    ]
    assert body["counts"] == {
        "invited": 1,
        "going": 1,
        "waitlisted": 0,
        "maybe": 0,
        "seats_left": None,
        "attended": 0,
    }
    assert body["can_edit"] is False
    assert body["my_response"] == "yes"
    assert body["url"] == f"/sessions/{session.pk}/"
    assert body["start"].endswith("Z")


def test_filters(world):
    client = api_for(world["admin"])
    tag = TagFactory(name="Rust", slug="rust")
    world["teams"].tags.add(tag)
    proposed = SessionFactory(programme=world["programme"], host=world["host"], title="Idea")
    held = PastSessionFactory(host=world["red_member"], title="Old")
    AttendanceFactory(session=held, person=world["admin"])
    other = ProgrammeFactory()
    ScheduledSessionFactory(programme=other, title="Elsewhere")
    assert _titles(client, state="proposed") == {"Idea"}
    assert _titles(client, state="held") == {"Old"}
    assert _titles(client, tag="rust") == {"Red only"}
    assert _titles(client, programme=other.pk) == {"Elsewhere"}
    soon = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert _titles(client, to=soon) == {"Old"}
    assert "Old" not in _titles(client, **{"from": soon})
    assert _titles(api_for(world["host"]), hosting="true") == {
        "Public",
        "Red only",
        "Invite only",
        "Idea",
    }
    assert _titles(client, attending="true") == {"Old"}
    assert proposed.pk  # used


def test_attending_includes_yes_answers(world):
    Invitation.objects.filter(person=world["invitee"]).update(response="yes")
    assert _titles(api_for(world["invitee"]), attending="true") == {"Invite only"}


def test_list_query_count_is_constant(world, django_assert_num_queries, monkeypatch):
    # The token's last_used_at is written at most once a minute: on a slow machine creating 90
    # sessions takes longer than that, and the write would land inside a measured block.
    monkeypatch.setattr("kshare.api.auth.LAST_USED_EVERY", dt.timedelta(days=1))
    client = api_for(world["admin"])
    tags = [TagFactory() for _ in range(3)]

    def add(n: int) -> None:
        for _ in range(n):
            s = ScheduledSessionFactory(programme=world["programme"])
            s.tags.set(tags)
            s.teams.add(world["red_member"].team)

    client.get("me")  # last_used_at written
    add(0)
    # The token, the sessions with a start, those without (the page is not full), and one
    # query each for hosts, tags and teams.
    with django_assert_num_queries(6):
        assert len(client.get("sessions", {"limit": 100}).json()["items"]) == 3
    add(7)
    with django_assert_num_queries(6):
        assert len(client.get("sessions", {"limit": 100}).json()["items"]) == 10
    # A full page of sessions with a start needs no look at those without.
    with django_assert_num_queries(5):
        assert len(client.get("sessions", {"limit": 5}).json()["items"]) == 5
    add(90)
    with django_assert_num_queries(5):
        assert len(client.get("sessions", {"limit": 5}).json()["items"]) == 5


def test_pages_run_by_start_then_through_the_undated_sessions_by_id(world):
    client = api_for(world["admin"], scope="read")
    start = world["public"].start
    tied = [ScheduledSessionFactory(start=start, title=f"Tied {i}") for i in range(3)]
    undated = [SessionFactory(title=f"Undated {i}") for i in range(4)]
    later = ScheduledSessionFactory(start=start + dt.timedelta(days=400), title="Later")
    expected = sorted(Session.objects.exclude(start=None), key=lambda s: (s.start, s.pk)) + sorted(
        undated, key=lambda s: s.pk
    )
    assert later in expected and all(s in expected for s in tied)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("sessions", params).json()
        seen += [item["title"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [s.title for s in expected]


def test_propose(world):
    person = world["blue_member"]
    tag_names = ["Python", "data science"]
    response = api_for(person).post(
        "sessions",
        {
            "title": "  Pandas   tricks ",
            "abstract": "Fast *groupby*.",
            "format": "workshop",
            "tags": tag_names,
            "cohosts": [world["red_member"].pk],
            "capacity": 12,
            "visibility": "teams",
            "teams": [person.team.pk],
            "programme": world["programme"].pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    session = Session.objects.get(pk=body["id"])
    assert session.title == "Pandas tricks"
    assert session.state == State.PROPOSED
    assert session.format == "workshop" and session.capacity == 12
    assert session.programme == world["programme"]
    assert {t.name for t in session.tags.all()} == {"Python", "data science"}
    # The named co-host is asked (a pending invitation), not a host until they accept.
    assert [(h["id"], h["role"]) for h in body["hosts"]] == [(person.pk, "host")]
    invitation = CohostInvitation.objects.get(session=session)
    assert (invitation.person, invitation.status) == (world["red_member"], "pending")
    assert [a["title"] for a in body["agenda"]] == [
        "Introduction",
        "Hands-on exercises",
        "Discussion and next steps",
    ]
    assert body["can_edit"] is True
    assert SessionChange.objects.filter(session=session, kind="created", by=person).exists()


def test_propose_uses_the_forms_rules(world):
    client = api_for(world["blue_member"])
    error = client.post("sessions", {"title": "Teams", "visibility": "teams"}).json()["error"]
    assert error["fields"] == {"teams": ["Choose at least one team, or make the session public."]}
    error = client.post("sessions", {"title": "X", "cohosts": [999999]}).json()["error"]
    assert error["fields"] == {"cohosts": ["No such person: 999999."]}
    error = client.post("sessions", {"title": "X", "programme": 999999}).json()["error"]
    assert list(error["fields"]) == ["programme"]
    error = client.post("sessions", {"title": "   "}).json()["error"]
    assert list(error["fields"]) == ["title"]
    assert client.post("sessions", {"title": "X", "tags": ["a,b"]}).status_code == 400
    assert not Session.objects.filter(title="X").exists()


def test_update_by_host_changes_only_the_fields_sent(world):
    session = world["public"]
    session.tags.add(TagFactory(name="Go", slug="go"))
    response = api_for(world["host"]).patch(
        f"sessions/{session.pk}", {"title": "Renamed", "capacity": 5}
    )
    assert response.status_code == 200, response.content
    session.refresh_from_db()
    assert (session.title, session.capacity, session.abstract) == (
        "Renamed",
        5,
        "What we will learn.",
    )
    assert [t.slug for t in session.tags.all()] == ["go"]
    response = api_for(world["host"]).patch(f"sessions/{session.pk}", {"capacity": None})
    session.refresh_from_db()
    assert session.capacity is None


def test_update_reschedules_and_tells_invitees(world, django_capture_on_commit_callbacks):
    session = world["public"]
    InvitationFactory(session=session, person=world["blue_member"], mailed_at=timezone.now())
    new_start = days_ahead_at(30)
    client = api_for(world["organiser"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(f"sessions/{session.pk}", {"start": new_start.isoformat()})
    assert response.status_code == 200, response.content
    session.refresh_from_db()
    assert session.start == new_start
    assert session.end == new_start + dt.timedelta(minutes=45)  # the length is kept
    assert session.changes.filter(kind="rescheduled").exists()
    # The invitee their new time; the hosts their own (kshare/sessions/host_mail.py).
    hosts = sorted(session.host_links.values_list("person__email", flat=True))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world["blue_member"].email, *hosts])
    assert [m.subject.split(" “")[0] for m in mail.outbox if m.to[0] in hosts] == [
        "Scheduled: your session"
    ] * len(hosts)


@pytest.mark.parametrize("role", ["host", "organiser", "admin"])
def test_editors_may_update(world, role):
    response = api_for(world[role]).patch(f"sessions/{world['secret'].pk}", {"title": "New"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "role, key, status",
    [
        ("blue_member", "public", 403),
        ("invitee", "secret", 403),
        ("red_member", "teams", 403),
        ("blue_member", "secret", 404),
        ("blue_member", "teams", 404),
    ],
)
def test_others_may_not_change_a_session(world, role, key, status):
    client = api_for(world[role])
    pk = world[key].pk
    for method, path, body in [
        ("patch", f"sessions/{pk}", {"title": "Mine now"}),
        ("post", f"sessions/{pk}/schedule", {"start": "2040-01-01T10:00:00Z"}),
        ("post", f"sessions/{pk}/cancel", {}),
        ("post", f"sessions/{pk}/held", None),
    ]:
        response = getattr(client, method)(path, body)
        assert response.status_code == status, (method, path)
        assert response.json()["error"]["code"] == ("forbidden" if status == 403 else "not_found")
    world[key].refresh_from_db()
    assert world[key].title != "Mine now" and world[key].state == "scheduled"


def test_schedule_proposed_session(world):
    session = SessionFactory(programme=world["programme"], host=world["host"])
    start = days_ahead_at(3)
    response = api_for(world["host"]).post(
        f"sessions/{session.pk}/schedule", {"start": start.isoformat()}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "scheduled"
    # Lead time (default 14 days) not met: a warning, not an error.
    assert body["warnings"] and "days" in body["warnings"][0]
    session.refresh_from_db()
    assert session.start == start and session.end == start + dt.timedelta(minutes=45)


def test_schedule_in_the_past_or_end_before_start_is_400(world):
    client = api_for(world["host"])
    pk = world["public"].pk
    error = client.post(f"sessions/{pk}/schedule", {"start": "2001-01-01T00:00:00Z"}).json()
    assert error["error"]["fields"] == {"start": ["Choose a start time in the future."]}
    error = client.post(
        f"sessions/{pk}/schedule",
        {"start": "2040-01-01T10:00:00Z", "end": "2040-01-01T09:00:00Z"},
    ).json()
    assert error["error"]["fields"] == {"end": ["The end must be after the start."]}


def test_cancel_and_the_history(world):
    session = world["public"]
    response = api_for(world["host"]).post(
        f"sessions/{session.pk}/cancel", {"reason": "Host is ill"}
    )
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert session.changes.get(kind="cancelled").note == "Host is ill"
    response = api_for(world["host"]).post(
        f"sessions/{session.pk}/schedule", {"start": "2040-01-01T10:00:00Z"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"


def test_mark_held(world):
    session = world["public"]
    client = api_for(world["host"])
    assert client.post(f"sessions/{session.pk}/held").status_code == 409  # not started yet
    Session.objects.filter(pk=session.pk).update(
        start=timezone.now() - dt.timedelta(hours=1), end=timezone.now()
    )
    response = client.post(f"sessions/{session.pk}/held")
    assert response.status_code == 200
    assert response.json()["state"] == "held"
    assert client.post(f"sessions/{session.pk}/held").status_code == 409


def test_read_token_cannot_change_anything(world):
    client = api_for(world["host"], scope="read")
    pk = world["public"].pk
    for response in (
        client.patch(f"sessions/{pk}", {"title": "x"}),
        client.post(f"sessions/{pk}/cancel", {}),
        client.post(f"sessions/{pk}/held"),
        client.post(f"sessions/{pk}/schedule", {"start": "2040-01-01T10:00:00Z"}),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
