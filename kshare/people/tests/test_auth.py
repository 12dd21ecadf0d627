import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from kshare.people.tests.factories import PersonFactory

RESET_LINK = re.compile(r"http://127\.0\.0\.1:8000(/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def alice(db):
    return PersonFactory(email="alice@example.com", display_name="Alice Liddell")


def test_sign_in_with_mixed_case_email(client, alice):
    response = client.post(
        reverse("login"), {"username": "  ALICE@Example.com", "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert get_user(client).pk == alice.pk


def test_sign_in_with_wrong_password_shows_error(client, alice):
    response = client.post(reverse("login"), {"username": alice.email, "password": "wrong"})

    assert response.status_code == 200
    assert get_user(client).is_authenticated is False
    assert response.context["form"].non_field_errors() == [
        "That e-mail address and password do not match an account. "
        "Passwords are case-sensitive; e-mail addresses are not."
    ]


def test_sign_out_by_post_ends_the_session(client, alice):
    client.force_login(alice)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert get_user(client).is_authenticated is False


def test_pages_need_sign_in_except_sign_in_reset_and_sign_up(client, db):
    assert client.get(reverse("people:list")).status_code == 302
    assert client.get(reverse("people:edit_profile")).status_code == 302
    assert client.get(reverse("people:import")).status_code == 302
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.get(reverse("password_reset_done")).status_code == 200
    assert client.get(reverse("password_reset_complete")).status_code == 200
    assert client.get(reverse("signup", args=["nope"])).status_code == 404


def _reset_path(body: str) -> str:
    links = RESET_LINK.findall(body)
    assert len(links) == 1, body
    return links[0]


def test_password_reset_full_flow(client, alice):
    response = client.post(reverse("password_reset"), {"email": "Alice@Example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Set a new password for kshare"

    # The link redirects once to a URL without the token (Django hides it from referrers).
    form_page = client.get(_reset_path(message.body), follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "blue tangerine 42", "new_password2": "blue tangerine 42"}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")

    assert client.login(username="alice@example.com", password="blue tangerine 42") is True
    assert client.login(username="alice@example.com", password="correct horse battery") is False


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_works_for_imported_person_without_password(client, db):
    person = PersonFactory(email="imported@example.com", password=None)
    person.set_unusable_password()
    person.save()

    client.post(reverse("password_reset"), {"email": "imported@example.com"})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["imported@example.com"]


def test_used_password_reset_link_shows_a_friendly_page(client, alice):
    client.post(reverse("password_reset"), {"email": alice.email})
    path = _reset_path(mail.outbox[0].body)
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "blue tangerine 42", "new_password2": "blue tangerine 42"}
    )

    response = client.get(path, follow=True)

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "This link does not work any more" in response.text


def test_password_reset_mail_goes_through_a_real_smtp_server(client, alice, smtp_server):
    with override_settings(MAILERS=smtp_server.mailers):
        response = client.post(reverse("password_reset"), {"email": alice.email})

    assert response.status_code == 302
    assert mail.outbox == []
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["To"] == "alice@example.com"
    assert received["Subject"] == "Set a new password for kshare"
    # Text and HTML, both with the one link.
    assert received.get_content_type() == "multipart/alternative"
    text, html = (part.get_payload(decode=True).decode() for part in received.get_payload())
    path = _reset_path(text)
    assert _reset_path(html) == path
    assert client.get(path, follow=True).context["validlink"] is True
