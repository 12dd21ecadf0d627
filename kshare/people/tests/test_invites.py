import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kshare.people import services
from kshare.people.models import AccountInvite, Person, Role
from kshare.people.tests.factories import (
    AccountInviteFactory,
    OrganiserFactory,
    PersonFactory,
    TeamFactory,
)

LINK = re.compile(r"http://127\.0\.0\.1:8000/signup/([A-Za-z0-9_-]+)/")


def _token_from_mail(message) -> str:
    tokens = LINK.findall(message.body)
    assert len(tokens) == 1, message.body
    return tokens[0]


def test_invite_stores_only_a_hash_and_mails_the_link(organiser):
    team = TeamFactory(name="Data")

    invite, token = services.account_invite_create(
        by=organiser, email=" New.Person@Example.com ", team=team
    )

    assert invite.email == "new.person@example.com"
    assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invite.token_hash
    assert invite.team == team
    assert invite.role == Role.MEMBER
    assert invite.invited_by == organiser
    assert abs(invite.expires_at - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert mail.outbox[0].subject == "You are invited to kshare"
    assert _token_from_mail(mail.outbox[0]) == token


def test_reinviting_replaces_the_open_invite(organiser):
    _, first_token = services.account_invite_create(by=organiser, email="x@example.com")

    second, _ = services.account_invite_create(by=organiser, email="X@example.com")

    assert list(AccountInvite.objects.values_list("pk", flat=True)) == [second.pk]
    assert services.account_invite_token_hash(first_token) != second.token_hash


def test_inviting_an_existing_account_is_refused(organiser, person):
    with pytest.raises(ValidationError) as exc:
        services.account_invite_create(by=organiser, email="MEMBER@example.com")

    assert exc.value.messages == ["member@example.com already has an account."]
    assert AccountInvite.objects.count() == 0


def test_members_cannot_invite_and_organisers_cannot_invite_admins(person, organiser):
    with pytest.raises(PermissionDenied):
        services.account_invite_create(by=person, email="a@example.com")
    with pytest.raises(PermissionDenied):
        services.account_invite_create(by=organiser, email="a@example.com", role=Role.ADMIN)
    assert AccountInvite.objects.count() == 0


def test_invite_page_is_forbidden_to_members(member_client):
    assert member_client.get(reverse("people:invite")).status_code == 403
    response = member_client.post(reverse("people:invite"), {"emails": "a@example.com"})
    assert response.status_code == 403
    assert AccountInvite.objects.count() == 0


def test_organiser_invites_several_addresses(client, organiser):
    client.force_login(organiser)
    team = TeamFactory(name="Platform")

    response = client.post(
        reverse("people:invite"),
        {
            "emails": "a@example.com\n\nB@example.com, a@example.com",
            "team": team.pk,
            "role": "member",
        },
    )

    assert response.status_code == 302
    assert sorted(AccountInvite.objects.values_list("email", "team__name")) == [
        ("a@example.com", "Platform"),
        ("b@example.com", "Platform"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]


def test_invite_form_lists_bad_and_existing_addresses(client, organiser, person):
    client.force_login(organiser)

    response = client.post(
        reverse("people:invite"), {"emails": "not-an-address\nmember@example.com\nok@example.com"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["emails"] == [
        "“not-an-address” is not a valid e-mail address.",
        "member@example.com already has an account.",
    ]
    assert AccountInvite.objects.count() == 0
    assert mail.outbox == []


def test_organiser_cannot_choose_admin_role_in_form(client, organiser):
    client.force_login(organiser)

    response = client.post(
        reverse("people:invite"), {"emails": "boss@example.com", "role": "admin"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [
        "Select a valid choice. admin is not one of the available choices."
    ]


def test_admin_can_invite_an_organiser(client, admin_person):
    client.force_login(admin_person)

    client.post(reverse("people:invite"), {"emails": "org@example.com", "role": "organiser"})

    assert AccountInvite.objects.get().role == Role.ORGANISER


def test_invite_then_sign_up_signs_the_person_in(client, organiser):
    organiser.timezone = "Europe/Lisbon"
    organiser.save()
    team = TeamFactory(name="Data")
    services.account_invite_create(by=organiser, email="newbie@example.com", team=team)
    token = _token_from_mail(mail.outbox[0])
    url = reverse("signup", args=[token])

    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["timezone"] == "Europe/Lisbon"

    response = client.post(
        url,
        {
            "display_name": "  Nina   Newbie ",
            "timezone": "Asia/Tokyo",
            "password1": "sunny meadow 77",
            "password2": "sunny meadow 77",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("people:edit_profile")
    person = Person.objects.get(email="newbie@example.com")
    assert (person.display_name, person.timezone, person.team, person.role) == (
        "Nina Newbie",
        "Asia/Tokyo",
        team,
        Role.MEMBER,
    )
    assert person.check_password("sunny meadow 77") is True
    assert get_user(client).pk == person.pk
    invite = AccountInvite.objects.get()
    assert invite.person == person
    assert invite.accepted_at is not None


def test_sign_up_validates_passwords(client, db):
    AccountInviteFactory(email="p@example.com", token_hash=services.account_invite_token_hash("t1"))

    response = client.post(
        reverse("signup", args=["t1"]),
        {"display_name": "P", "timezone": "UTC", "password1": "12345678", "password2": "12345678"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"] == [
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert Person.objects.filter(email="p@example.com").exists() is False


def test_sign_up_refuses_different_passwords_and_unknown_timezone(client, db):
    AccountInviteFactory(email="p@example.com", token_hash=services.account_invite_token_hash("t1"))

    response = client.post(
        reverse("signup", args=["t1"]),
        {
            "display_name": "P",
            "timezone": "Mars/Olympus",
            "password1": "sunny meadow 77",
            "password2": "sunny meadow 78",
        },
    )

    assert response.context["form"].errors == {
        "timezone": [
            "Unknown timezone “Mars/Olympus”. Choose one from the list, such as Europe/Berlin."
        ],
        "password2": ["The two passwords differ."],
    }


@pytest.mark.parametrize(
    ("make_invite", "status", "title"),
    [
        (None, 404, "This sign-up link does not work"),
        ({"accepted_at": timezone.now()}, 410, "This sign-up link was already used"),
        (
            {"expires_at": timezone.now() - timedelta(minutes=1)},
            410,
            "This sign-up link has expired",
        ),
    ],
)
def test_unusable_sign_up_links_show_a_friendly_page(client, db, make_invite, status, title):
    if make_invite is not None:
        AccountInviteFactory(token_hash=services.account_invite_token_hash("tok"), **make_invite)

    get = client.get(reverse("signup", args=["tok"]))
    post = client.post(
        reverse("signup", args=["tok"]),
        {
            "display_name": "X",
            "timezone": "UTC",
            "password1": "sunny meadow 77",
            "password2": "sunny meadow 77",
        },
    )

    assert (get.status_code, get.context["title"]) == (status, title)
    assert (post.status_code, post.context["title"]) == (status, title)
    assert Person.objects.count() == 0


def test_sign_up_link_is_refused_once_the_account_exists(client, db):
    AccountInviteFactory(
        email="dup@example.com", token_hash=services.account_invite_token_hash("t")
    )
    PersonFactory(email="dup@example.com")

    response = client.get(reverse("signup", args=["t"]))

    assert (response.status_code, response.context["title"]) == (410, "You already have an account")


def test_accepting_twice_is_refused(db):
    inviter = OrganiserFactory()
    _, token = services.account_invite_create(by=inviter, email="once@example.com")
    services.account_invite_accept(
        token=token, display_name="Once", password="sunny meadow 77", timezone="UTC"
    )

    with pytest.raises(services.InviteUnusable) as exc:
        services.account_invite_accept(
            token=token, display_name="Twice", password="sunny meadow 77", timezone="UTC"
        )

    assert exc.value.reason == "used"
    assert Person.objects.filter(email="once@example.com").count() == 1


def test_invite_page_shows_member_role_only_to_organisers(client, organiser, admin_person):
    client.force_login(organiser)
    organiser_roles = client.get(reverse("people:invite")).context["form"].fields["role"].choices
    client.force_login(admin_person)
    admin_roles = client.get(reverse("people:invite")).context["form"].fields["role"].choices

    assert organiser_roles == [("member", "Member")]
    assert admin_roles == [("admin", "Admin"), ("organiser", "Organiser"), ("member", "Member")]
