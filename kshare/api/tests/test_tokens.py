"""The token page: create (the secret shown once), list (only the prefix), revoke."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kshare.api.models import ApiToken, token_hash
from kshare.api.services import MAX_ACTIVE_TOKENS, token_create
from kshare.api.tests.helpers import ApiClient
from kshare.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
URL = "/api/tokens/"


def test_the_page_needs_signing_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_account_menu_links_to_the_page(member_client):
    assert f'href="{URL}"' in member_client.get(reverse("home")).content.decode()


def test_create_shows_the_secret_once(member_client, person):
    response = member_client.post(URL, {"name": "  chat   bot ", "scope": "write"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = re.search(r'id="new-secret"[^>]*value="(ksh_[^"]+)"', html).group(1)
    token = ApiToken.objects.get()
    assert (token.person, token.name, token.scope) == (person, "chat bot", "write")
    assert token.token_hash == token_hash(secret)
    # The secret works...
    assert ApiClient(secret).get("me").json()["token_scope"] == "write"
    # ...and is never shown again: the list has only the prefix.
    again = member_client.get(URL).content.decode()
    assert secret not in again
    assert f"{token.prefix}…" in again
    assert "chat bot" in again


def test_create_needs_a_name_and_a_scope(member_client):
    response = member_client.post(URL, {"name": "   ", "scope": "admin"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"name", "scope"}
    assert not ApiToken.objects.exists()
    assert 'id="new-secret"' not in response.content.decode()


def test_name_with_nul_is_a_form_error(member_client):
    response = member_client.post(URL, {"name": "a\x00b", "scope": "read"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_too_many_active_tokens(member_client, person):
    for i in range(MAX_ACTIVE_TOKENS):
        token_create(person=person, name=f"t{i}", scope="read")
    response = member_client.post(URL, {"name": "one more", "scope": "read"})
    assert "revoke one" in response.content.decode()
    assert ApiToken.objects.count() == MAX_ACTIVE_TOKENS


def test_list_shows_only_my_tokens(member_client, person):
    token_create(person=person, name="mine", scope="read")
    token_create(person=PersonFactory(), name="someone else's", scope="read")
    html = member_client.get(URL).content.decode()
    assert "mine" in html
    assert "someone else" not in html


def test_revoke(member_client, person):
    token, secret = token_create(person=person, name="old script", scope="read")
    response = member_client.post(reverse("api_tokens:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiClient(secret).get("me").status_code == 401
    html = member_client.get(URL).content.decode()
    assert "Revoked" in html
    # Revoking twice keeps the first time.
    first = token.revoked_at
    member_client.post(reverse("api_tokens:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at == first


def test_someone_elses_token_is_404(member_client):
    other, secret = token_create(person=PersonFactory(), name="theirs", scope="write")
    response = member_client.post(reverse("api_tokens:token_revoke", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
    assert ApiClient(secret).get("me").status_code == 200


def test_revoke_needs_post(member_client, person):
    token, _ = token_create(person=person, name="t", scope="read")
    assert member_client.get(reverse("api_tokens:token_revoke", args=[token.pk])).status_code == 405


def test_page_query_count_is_constant(member_client, person, django_assert_max_num_queries):
    for i in range(2):
        token_create(person=person, name=f"a{i}", scope="read")
    with django_assert_max_num_queries(30) as few:
        member_client.get(URL)
    for i in range(8):
        token_create(person=person, name=f"b{i}", scope="read")
    with django_assert_max_num_queries(len(few.captured_queries)):
        member_client.get(URL)


def test_admin_adds_a_token_and_sees_the_secret_once(client, admin_person, person):
    client.force_login(admin_person)
    response = client.post(
        reverse("admin:api_apitoken_add"),
        {"person": person.pk, "name": "chat bot", "scope": "read"},
        follow=True,
    )
    assert response.status_code == 200
    secret = re.search(r"(ksh_[A-Za-z0-9_-]+)", response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert (token.person, token.token_hash) == (person, token_hash(secret))
    assert ApiClient(secret).get("me").json()["id"] == person.pk
    change = client.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    assert secret not in change and token.token_hash not in change
