"""The invite page: permissions, the three ways to choose people, errors, search, query counts."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.sessions.models import Invitation, Visibility
from kshare.sessions.tests.factories import (
    InvitationFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.sessions.tests.test_invitations import host_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return ScheduledSessionFactory(title="Intro to SQL")


@pytest.fixture
def host_client(client, session):
    client.force_login(host_of(session))
    return client


def invite_url(session):
    return f"/sessions/{session.pk}/invite/"


def page(response) -> str:
    return response.content.decode()


def test_invite_page_is_404_when_invisible_and_403_when_not_editable(client):
    hidden = ScheduledSessionFactory(visibility=Visibility.INVITE_ONLY)
    public = ScheduledSessionFactory()
    client.force_login(PersonFactory())
    assert client.get(invite_url(hidden)).status_code == 404
    assert client.get(invite_url(public)).status_code == 403
    assert client.post(invite_url(public), {"everyone": "on"}).status_code == 403
    assert client.get(f"{invite_url(public)}people/?q=pe").status_code == 403
    assert Invitation.objects.count() == 0


def test_detail_page_offers_invite_to_editors_only(client, session):
    client.force_login(PersonFactory())
    assert "Invite people" not in page(client.get(f"/sessions/{session.pk}/"))
    client.force_login(host_of(session))
    assert f'<a class="button" href="{invite_url(session)}">Invite people</a>' in page(
        client.get(f"/sessions/{session.pk}/")
    )


def test_invite_by_email_addresses_without_javascript(
    host_client, session, django_capture_on_commit_callbacks
):
    ann = PersonFactory(email="ann@example.com")
    bob = PersonFactory(email="bob@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client.post(
            invite_url(session), {"emails": "Ann@example.com,\n bob@example.com; ann@example.com"}
        )
    assert response.status_code == 302
    assert response["Location"] == invite_url(session)
    assert sorted(Invitation.objects.values_list("person_id", flat=True)) == sorted(
        [ann.pk, bob.pk]
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "bob@example.com"]
    follow = host_client.get(invite_url(session))
    assert (
        '<p class="message message-success">Invited 2 people: the invitations are on their way.</p>'
        in page(follow)
    )


def test_invite_ticked_people_and_a_team(host_client, session, django_capture_on_commit_callbacks):
    team = TeamFactory(name="Data")
    members = [PersonFactory(team=team) for _ in range(2)]
    ticked = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client.post(
            invite_url(session), {"people": [ticked.pk], "teams": [team.pk]}
        )
    assert response.status_code == 302
    assert set(Invitation.objects.values_list("person_id", flat=True)) == {
        ticked.pk,
        *(m.pk for m in members),
    }
    assert len(mail.outbox) == 3


def test_invite_everyone_reports_who_was_left_out(client, django_capture_on_commit_callbacks):
    sales, other = TeamFactory(), TeamFactory()
    session = ScheduledSessionFactory(visibility=Visibility.TEAMS)
    session.teams.add(sales)
    client.force_login(host_of(session))
    PersonFactory(team=sales)
    PersonFactory(team=other)
    InvitationFactory(session=session, person=PersonFactory(team=sales))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(session), {"everyone": "on"}, follow=True)
    assert (
        '<p class="message message-success">Invited 1 person: the invitations are on their way. '
        "1 had been invited already. 1 cannot see this session and was left out.</p>"
    ) in page(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose people, teams or everyone to invite."),
        (
            {"emails": "nobody@example.com"},
            "Nobody here has the e-mail address nobody@example.com.",
        ),
        ({"emails": "not-an-address"}, "Not an e-mail address: not-an-address."),
        ({"people": ["abc"]}, "“abc” is not a valid value."),
        (
            {"people": ["999999"]},
            "Select a valid choice. 999999 is not one of the available choices.",
        ),
        (
            {"emails": "x" * 20_001},
            "Ensure this value has at most 20000 characters (it has 20001).",
        ),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(host_client, session, data, message):
    response = host_client.post(invite_url(session), data)
    assert response.status_code == 200
    assert message in page(response)
    assert 'id="form-errors"' in page(response)
    assert Invitation.objects.count() == 0


def test_a_named_person_who_cannot_see_the_session_is_named_and_nothing_is_written(client):
    sales = TeamFactory()
    session = ScheduledSessionFactory(visibility=Visibility.TEAMS)
    session.teams.add(sales)
    client.force_login(host_of(session))
    PersonFactory(team=sales, email="in@example.com")
    PersonFactory(display_name="Otto", email="otto@example.com")
    response = client.post(invite_url(session), {"emails": "in@example.com, otto@example.com"})
    assert response.status_code == 200
    assert (
        "<p>Otto (otto@example.com) cannot see this session, so nobody was invited. "
        "Leave them out, or change who may see the session.</p>"
    ) in page(response)
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_a_proposed_session_cannot_take_invitations_yet(client):
    session = SessionFactory()
    client.force_login(host_of(session))
    PersonFactory(email="ann@example.com")
    response = client.post(invite_url(session), {"emails": "ann@example.com"})
    assert response.status_code == 200
    assert (
        "Schedule the session first: an invitation needs a date and time to put in calendars."
        in page(response)
    )
    assert Invitation.objects.count() == 0


def test_invited_list_shows_each_answer_and_the_counts(host_client, session):
    session.capacity = 1
    session.save()
    answers = {
        "Ada": ("yes", None),
        "Ben": ("yes", timezone.now()),
        "Cy": ("maybe", None),
        "Dee": ("no", None),
        "Eve": ("pending", None),
    }
    for name, (response, waitlisted_at) in answers.items():
        InvitationFactory(
            session=session,
            person=PersonFactory(display_name=name),
            response=response,
            waitlisted_at=waitlisted_at,
        )
    html = page(host_client.get(invite_url(session)))
    assert (
        '<p class="meta"><span>1 going</span><span>1 waitlisted</span><span>1 maybe</span>'
        "<span>1 not going</span><span>1 no answer yet</span></p>"
    ) in html
    for name, label in [
        ("Ada", "Going"),
        ("Ben", "Waitlisted"),
        ("Cy", "Maybe"),
        ("Dee", "Not going"),
        ("Eve", "No answer yet"),
    ]:
        assert f">{name}</a></td><td>—</td><td>{label}</td></tr>" in html
    assert '<h2 id="invited-heading">Invited (5)</h2>' in html


def test_search_lists_invitable_people_with_checkboxes_for_the_invite_form(host_client, session):
    ann = PersonFactory(display_name="Ann Archer", email="ann@example.com")
    InvitationFactory(session=session, person=PersonFactory(display_name="Ann Already"))
    kept = PersonFactory(display_name="Zed Kept")
    response = host_client.get(
        f"{invite_url(session)}people/",
        {"q": "ann", "people": [str(kept.pk), "junk"]},
        headers={"HX-Request": "true"},
    )
    html = page(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="people-results" aria-live="polite">')
    assert (
        f'<input type="checkbox" id="person-{kept.pk}" name="people" value="{kept.pk}" '
        'form="invite-form" checked> Zed Kept'
    ) in html
    assert (
        f'<input type="checkbox" id="person-{ann.pk}" name="people" value="{ann.pk}" '
        'form="invite-form"> Ann Archer'
    ) in html
    assert "Ann Already" not in html
    # Without JavaScript the search form reloads the whole page with the same results.
    full = page(host_client.get(invite_url(session), {"q": "ann"}))
    assert f'id="person-{ann.pk}"' in full
    assert "<html" in full
    empty = page(host_client.get(f"{invite_url(session)}people/", {"q": "zzz\x00"}))
    assert "Nobody found for “zzz” who may see this session and is not invited yet." in empty


def test_invite_page_query_count_is_constant(client, django_assert_num_queries):
    small, big = ScheduledSessionFactory(), ScheduledSessionFactory()
    organiser = PersonFactory(role="admin")
    client.force_login(organiser)
    for session, n in ((small, 2), (big, 10)):
        team = TeamFactory()
        for i in range(n):
            InvitationFactory(
                session=session,
                person=PersonFactory(team=team, display_name=f"Match {i}"),
                response=["yes", "no", "maybe", "pending"][i % 4],
            )
            PersonFactory(display_name=f"Match free {session.pk} {i}")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(invite_url(small), {"q": "match"}).status_code == 200
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert client.get(invite_url(big), {"q": "match"}).status_code == 200
