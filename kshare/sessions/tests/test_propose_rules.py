"""Who may propose into a programme, and co-hosts only by consent.

Each of the first tests is a hole an outside probe found on the old main: the propose form
listed a programme restricted to another team, a POST (web and API) proposed into it, a named
co-host became one without being asked, and the proposer could then invite that whole team.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.core.tests.daytime import daytime_zone
from kshare.outbox.models import OutboxMessage
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions import services
from kshare.sessions.cohosting import cohost_answer
from kshare.sessions.invitations import invitations_create
from kshare.sessions.models import CohostInvitation, Invitation, Session, SessionHost, Visibility
from kshare.sessions.selectors import session_can_edit, sessions_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


@pytest.fixture
def teams(db):
    return TeamFactory(name="Red", slug="red"), TeamFactory(name="Blue", slug="blue")


@pytest.fixture
def restricted(teams):
    """A programme for the red team only."""
    red, _ = teams
    programme = ProgrammeFactory(
        name="Red internals", slug="red-internals", visibility=ProgrammeVisibility.TEAMS
    )
    programme.teams.set([red])
    return programme


@pytest.fixture
def open_programme(db):
    return ProgrammeFactory(name="Tech talks", slug="tech-talks")


@pytest.fixture
def blue_member(teams):
    return PersonFactory(team=teams[1], email="bo@example.com", display_name="Bo Blue")


@pytest.fixture
def red_member(teams):
    return PersonFactory(team=teams[0], email="ruth@example.com", display_name="Ruth Red")


def _programme_choices(html: str) -> list[str]:
    select = re.search(r'<select name="programme".*?</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"', select.group(0))


def test_propose_form_lists_only_programmes_the_member_may_see(
    client, blue_member, restricted, open_programme
):
    client.force_login(blue_member)
    html = client.get(reverse("sessions:propose")).content.decode()
    assert _programme_choices(html) == ["", str(open_programme.pk)]


def test_propose_form_lists_a_restricted_programme_to_its_team(
    client, red_member, restricted, open_programme
):
    client.force_login(red_member)
    html = client.get(reverse("sessions:propose")).content.decode()
    assert _programme_choices(html) == ["", str(restricted.pk), str(open_programme.pk)]


def test_posting_into_a_restricted_programme_is_a_form_error(client, blue_member, restricted):
    client.force_login(blue_member)
    response = client.post(
        reverse("sessions:propose"),
        {
            "title": "Sneaky",
            "format": "talk",
            "level": "all",
            "visibility": "public",
            "programme": restricted.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["programme"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Session.objects.count() == 0


def test_api_proposing_into_a_restricted_programme_is_a_400(blue_member, restricted):
    api = ApiClient(token_create(blue_member))
    response = api.post("sessions", {"title": "Sneaky", "programme": restricted.pk})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["programme"]
    assert Session.objects.count() == 0


def test_the_service_refuses_a_programme_the_proposer_may_not_see(blue_member, restricted):
    with pytest.raises(ValidationError) as caught:
        services.session_propose(by=blue_member, title="Sneaky", programme=restricted)
    assert caught.value.message_dict == {
        "programme": ["You cannot propose into Red internals: it is for other teams."]
    }
    assert Session.objects.count() == 0


def test_a_restricted_default_programme_is_refused_with_a_message(client, blue_member, restricted):
    restricted.is_default = True
    restricted.save()
    client.force_login(blue_member)
    response = client.post(
        reverse("sessions:propose"),
        {"title": "Into the default", "format": "talk", "level": "all", "visibility": "public"},
    )
    assert response.context["form"].errors["programme"] == [
        "You cannot propose into Red internals: it is for other teams."
    ]
    assert Session.objects.count() == 0


def test_moving_a_session_into_a_restricted_programme_is_refused(
    blue_member, restricted, open_programme
):
    session = services.session_propose(by=blue_member, title="Mine", programme=open_programme)
    with pytest.raises(ValidationError):
        services.session_update(session=session, by=blue_member, programme=restricted)
    session.refresh_from_db()
    assert session.programme == open_programme


def test_the_restricted_team_cannot_be_invited_wholesale_by_an_outsider(
    client, blue_member, red_member, restricted, teams
):
    """The old chain: propose into the red programme, schedule, invite the red team. Proposing
    is refused now; and on the outsider's own session the invite page does not offer the red
    team (a POST naming it is a form error), while the service invites none of it."""
    red, blue = teams
    with pytest.raises(ValidationError):
        services.session_propose(by=blue_member, title="Sneaky", programme=restricted)
    blue_only = ProgrammeFactory(name="Blue", slug="blue", visibility=ProgrammeVisibility.TEAMS)
    blue_only.teams.set([blue])
    session = services.session_propose(by=blue_member, title="Blue talk", programme=blue_only)
    services.session_schedule(
        session=session, start=timezone.now() + timedelta(days=20), by=blue_member
    )
    client.force_login(blue_member)
    response = client.get(reverse("sessions:invite", args=[session.pk]))
    assert list(response.context["form"].fields["teams"].queryset) == [blue]
    response = client.post(reverse("sessions:invite", args=[session.pk]), {"teams": [red.pk]})
    assert response.status_code == 200
    assert response.context["form"].errors["teams"] == [
        f"Select a valid choice. {red.pk} is not one of the available choices."
    ]
    result = invitations_create(session=session, by=blue_member, teams=[red])
    assert (result.invited, result.not_visible) == ([], 1)
    assert Invitation.objects.count() == 0


# --- co-hosts by consent ----------------------------------------------------------------------


def _hosts(session: Session) -> list[tuple[int, str]]:
    return list(SessionHost.objects.filter(session=session).values_list("person_id", "role"))


def test_naming_a_cohost_asks_them_and_adds_nobody(client, blue_member, red_member, open_programme):
    client.force_login(blue_member)
    response = client.post(
        reverse("sessions:propose"),
        {
            "title": "Pairing",
            "format": "talk",
            "level": "all",
            "visibility": "invite_only",
            "programme": open_programme.pk,
            "cohosts_text": red_member.email,
        },
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert _hosts(session) == [(blue_member.pk, "host")]
    invitation = CohostInvitation.objects.get()
    assert (invitation.session, invitation.person, invitation.invited_by, invitation.status) == (
        session,
        red_member,
        blue_member,
        "pending",
    )
    # Not a co-host yet: no edit right, and the invite-only session stays closed to them.
    assert session_can_edit(person=red_member, session=session) is False
    assert list(sessions_visible_to(person=red_member)) == []
    # One mail through the outbox, with the page to answer on.
    stored = OutboxMessage.objects.get(kind="cohost_invitation")
    assert stored.to == ["ruth@example.com"]
    assert [m.subject for m in mail.outbox] == ["Bo Blue asks you to co-host “Pairing”"]
    assert f"/sessions/co-hosting/{invitation.pk}/" in mail.outbox[0].body


def test_accepting_makes_them_a_cohost(client, blue_member, red_member, open_programme):
    session = services.session_propose(
        by=blue_member,
        title="Pairing",
        programme=open_programme,
        visibility=Visibility.INVITE_ONLY,
        cohosts=[red_member],
    )
    invitation = CohostInvitation.objects.get()
    client.force_login(red_member)
    page = client.get(reverse("sessions:cohosting", args=[invitation.pk]))
    assert page.status_code == 200
    assert "Co-host “Pairing”?" in page.content.decode()
    response = client.post(
        reverse("sessions:cohosting", args=[invitation.pk]), {"answer": "accept"}
    )
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()
    assert sorted(_hosts(session)) == sorted([(blue_member.pk, "host"), (red_member.pk, "cohost")])
    assert session_can_edit(person=red_member, session=session) is True
    assert list(sessions_visible_to(person=red_member)) == [session]
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.answered_at is not None


def test_declining_leaves_them_out(client, blue_member, red_member, open_programme):
    session = services.session_propose(
        by=blue_member, title="Pairing", programme=open_programme, cohosts=[red_member]
    )
    invitation = CohostInvitation.objects.get()
    client.force_login(red_member)
    client.post(reverse("sessions:cohosting", args=[invitation.pk]), {"answer": "decline"})
    assert _hosts(session) == [(blue_member.pk, "host")]
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    # A second answer is refused.
    with pytest.raises(ValidationError):
        cohost_answer(invitation=invitation, person=red_member, accept=True)
    assert _hosts(session) == [(blue_member.pk, "host")]


def test_only_the_person_asked_may_answer(client, blue_member, red_member, open_programme):
    services.session_propose(
        by=blue_member, title="Pairing", programme=open_programme, cohosts=[red_member]
    )
    invitation = CohostInvitation.objects.get()
    other = PersonFactory()
    client.force_login(other)
    assert client.get(reverse("sessions:cohosting", args=[invitation.pk])).status_code == 404
    response = client.post(
        reverse("sessions:cohosting", args=[invitation.pk]), {"answer": "accept"}
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        cohost_answer(invitation=invitation, person=other, accept=True)
    assert CohostInvitation.objects.get().status == "pending"


def test_someone_who_may_not_see_the_programme_cannot_be_named(
    client, red_member, blue_member, restricted
):
    client.force_login(red_member)
    response = client.post(
        reverse("sessions:propose"),
        {
            "title": "Red only",
            "format": "talk",
            "level": "all",
            "visibility": "public",
            "programme": restricted.pk,
            "cohosts_text": blue_member.email,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["cohosts_text"] == [
        "Bo Blue cannot see the programme Red internals, so cannot co-host in it."
    ]
    assert Session.objects.count() == 0


def test_editing_keeps_pending_invitations_and_removing_a_name_withdraws_it(
    client, blue_member, red_member, open_programme
):
    session = services.session_propose(
        by=blue_member, title="Pairing", programme=open_programme, cohosts=[red_member]
    )
    client.force_login(blue_member)
    form = client.get(reverse("sessions:edit", args=[session.pk])).context["form"]
    assert form.initial["cohosts_text"] == red_member.email
    services.session_update(session=session, by=blue_member, cohosts=[], title="Solo")
    assert CohostInvitation.objects.count() == 0


def test_api_lists_and_answers_cohost_invitations(blue_member, red_member, open_programme):
    host_api = ApiClient(token_create(blue_member))
    created = host_api.post(
        "sessions", {"title": "Pairing", "programme": open_programme.pk, "cohosts": [red_member.pk]}
    )
    assert created.status_code == 201
    assert [h["role"] for h in created.json()["hosts"]] == ["host"]
    api = ApiClient(token_create(red_member))
    listed = api.get("cohosting").json()
    invitation = CohostInvitation.objects.get()
    assert [(i["id"], i["session_title"], i["invited_by"], i["status"]) for i in listed] == [
        (invitation.pk, "Pairing", "Bo Blue", "pending")
    ]
    # Someone else: the same 404 as a missing invitation.
    stranger = ApiClient(token_create(PersonFactory()))
    assert stranger.post(f"cohosting/{invitation.pk}", {"answer": "accept"}).status_code == 404
    answered = api.post(f"cohosting/{invitation.pk}", {"answer": "accept"})
    assert answered.status_code == 200
    assert answered.json()["status"] == "accepted"
    assert api.post(f"cohosting/{invitation.pk}", {"answer": "decline"}).status_code == 409
    detail = host_api.get(f"sessions/{created.json()['id']}").json()
    assert [(h["id"], h["role"]) for h in detail["hosts"]] == [
        (blue_member.pk, "host"),
        (red_member.pk, "cohost"),
    ]
