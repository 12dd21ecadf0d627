"""The webhooks page: organisers and admins list, add (secret shown once) and delete."""

from __future__ import annotations

import pytest

from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.webhooks.models import Webhook, WebhookDelivery
from kshare.webhooks.services import webhook_subscribe

pytestmark = pytest.mark.django_db

URL = "/webhooks/"


@pytest.fixture
def setup(db):
    programme = ProgrammeFactory(name="Tech talks")
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    return programme, organiser


def test_organiser_adds_a_webhook_and_sees_the_secret_once(client, setup):
    programme, organiser = setup
    client.force_login(organiser)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_url">Address</label>' in html
    assert "<legend>Events" in html
    # Organisers choose among their own programmes; there is no "every programme".
    assert "Every programme</option>" not in html
    response = client.post(
        URL,
        {
            "url": "https://chat.example/in",
            "events": ["session.scheduled", "session.cancelled"],
            "programme": programme.pk,
            "description": "#talks",
        },
    )
    assert response.status_code == 200
    hook = Webhook.objects.get()
    assert (hook.programme, hook.created_by, hook.events) == (
        programme,
        organiser,
        ["session.scheduled", "session.cancelled"],
    )
    body = response.content.decode()
    assert hook.secret in body
    assert "no-store" in response["Cache-Control"]
    assert hook.secret not in client.get(URL).content.decode()
    assert hook.url in client.get(URL).content.decode()


def test_form_errors_and_nothing_saved(client, setup):
    programme, organiser = setup
    client.force_login(organiser)
    other = ProgrammeFactory()
    for data, message in (
        (
            {"url": "ftp://x.example/", "events": ["session.held"], "programme": programme.pk},
            "Enter an http:// or https:// address.",
        ),
        ({"url": "https://x.example/", "programme": programme.pk}, "Choose at least one event."),
        (
            {"url": "https://x.example/", "events": ["session.held"], "programme": other.pk},
            "Select a valid choice.",
        ),
        ({"url": "https://x.example/", "events": ["session.held"]}, "This field is required."),
    ):
        response = client.post(URL, data)
        assert response.status_code == 200
        assert message in response.content.decode(), data
    assert not Webhook.objects.exists()


def test_admin_may_subscribe_to_every_programme(client):
    admin_ = AdminFactory()
    client.force_login(admin_)
    response = client.post(URL, {"url": "https://all.example/", "events": ["feedback.received"]})
    assert response.status_code == 200
    assert Webhook.objects.get().programme is None


def test_members_are_refused(client, setup):
    programme, organiser = setup
    hook = webhook_subscribe(
        by=organiser, url="https://x.example/", events=["session.held"], programme=programme
    )
    client.force_login(PersonFactory())
    assert client.get(URL).status_code == 403
    assert (
        client.post(URL, {"url": "https://y.example/", "events": ["session.held"]}).status_code
        == 403
    )
    assert client.get(f"{URL}{hook.pk}/").status_code == 403
    assert client.post(f"{URL}{hook.pk}/delete/").status_code == 403
    assert Webhook.objects.count() == 1
    client.logout()
    assert client.get(URL).status_code == 302  # to the sign-in page


def test_detail_lists_deliveries_and_delete(client, setup):
    programme, organiser = setup
    hook = webhook_subscribe(
        by=organiser, url="https://x.example/", events=["session.held"], programme=programme
    )
    WebhookDelivery.objects.create(
        webhook=hook,
        event="session.held",
        status="queued",
        attempts=2,
        response_status=503,
        last_error="HTTP 503",
    )
    client.force_login(organiser)
    html = client.get(f"{URL}{hook.pk}/").content.decode()
    assert "HTTP 503" in html and "session.held" in html
    # Another programme's organiser: the same 404 as a missing one.
    stranger = OrganiserFactory()
    ProgrammeFactory().organisers.add(stranger)
    client.force_login(stranger)
    assert client.get(f"{URL}{hook.pk}/").status_code == 404
    assert client.post(f"{URL}{hook.pk}/delete/").status_code == 404
    client.force_login(organiser)
    assert client.get(f"{URL}{hook.pk}/delete/").status_code == 405
    response = client.post(f"{URL}{hook.pk}/delete/")
    assert response.status_code == 302
    assert not Webhook.objects.exists()


def test_list_query_count(client, setup, django_assert_num_queries):
    programme, organiser = setup
    client.force_login(organiser)
    client.get(URL)

    def add(n):
        for i in range(n):
            webhook_subscribe(
                by=organiser,
                url=f"https://x.example/{i}",
                events=["session.held"],
                programme=programme,
            )

    add(2)
    with django_assert_num_queries(5):
        assert client.get(URL).content.decode().count("<tr>") == 3
    add(8)
    with django_assert_num_queries(5):
        assert client.get(URL).content.decode().count("<tr>") == 11  # with the header row


def test_account_menu_links_organisers_only(client, setup):
    _, organiser = setup
    client.force_login(organiser)
    assert f'<a href="{URL}">Webhooks</a>' in client.get("/").content.decode()
    client.force_login(PersonFactory())
    assert f'<a href="{URL}">Webhooks</a>' not in client.get("/").content.decode()
