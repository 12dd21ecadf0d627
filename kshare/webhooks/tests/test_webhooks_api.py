"""Managing webhooks through the API: who may, the secret shown once, deliveries."""

from __future__ import annotations

import pytest

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.webhooks.models import Webhook, WebhookDelivery
from kshare.webhooks.services import webhook_subscribe

pytestmark = pytest.mark.django_db


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


@pytest.fixture
def setup(db):
    programme = ProgrammeFactory(name="Tech talks")
    organiser = OrganiserFactory(display_name="Olga")
    programme.organisers.add(organiser)
    return programme, organiser


def test_organiser_subscribes_for_their_programme(setup):
    programme, organiser = setup
    client = api_for(organiser)
    response = client.post(
        "webhooks",
        {
            "url": "https://chat.example/hooks/1",
            "events": ["session.held", "session.scheduled"],
            "programme": programme.pk,
            "description": "Announce in #talks",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    hook = Webhook.objects.get()
    assert body["secret"] == hook.secret
    assert body["secret_hint"] == hook.secret[:10] + "…"
    assert body["events"] == ["session.scheduled", "session.held"]
    assert body["programme"] == {"id": programme.pk, "name": "Tech talks"}
    assert body["created_by"] == {"id": organiser.pk, "display_name": "Olga"}
    assert (body["url"], body["description"], body["active"]) == (
        "https://chat.example/hooks/1",
        "Announce in #talks",
        True,
    )
    # The secret is never shown again.
    listed = client.get("webhooks").json()["items"]
    assert [h["id"] for h in listed] == [hook.pk]
    assert "secret" not in listed[0]
    detail = client.get(f"webhooks/{hook.pk}").json()
    assert "secret" not in detail and detail == listed[0]
    assert client.delete(f"webhooks/{hook.pk}").status_code == 204
    assert not Webhook.objects.exists()
    assert client.get(f"webhooks/{hook.pk}").status_code == 404


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"url": "ftp://x.example/", "events": ["session.held"]}, 400, "url"),
        ({"url": "http://[::1", "events": ["session.held"]}, 400, "url"),
        ({"url": "http://exa mple.com/", "events": ["session.held"]}, 400, "url"),
        ({"url": "https://x.example/", "events": []}, 422, "events"),
        ({"url": "https://x.example/", "events": ["session.moved"]}, 422, "events.0"),
        (
            {"url": "https://x.example/", "events": ["session.held"], "programme": 999999},
            400,
            "programme",
        ),
        ({"url": "https://x.example/", "events": ["session.held"]}, 400, "programme"),
        ({"url": "x" * 501, "events": ["session.held"]}, 422, "url"),
        ({"url": "https://x.example/\x00", "events": ["session.held"]}, 422, "url"),
    ],
)
def test_create_errors(setup, payload, status, field):
    _, organiser = setup
    response = api_for(organiser).post("webhooks", payload)
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]
    assert not Webhook.objects.exists()


def test_organiser_of_another_programme_cannot_subscribe_or_see(setup):
    programme, organiser = setup
    other = OrganiserFactory()
    ProgrammeFactory().organisers.add(other)
    response = api_for(other).post(
        "webhooks",
        {"url": "https://x.example/", "events": ["session.held"], "programme": programme.pk},
    )
    assert response.status_code == 400
    assert "programme" in response.json()["error"]["fields"]
    hook = webhook_subscribe(
        by=organiser, url="https://x.example/", events=["session.held"], programme=programme
    )
    client = api_for(other)
    assert client.get("webhooks").json()["items"] == []
    assert client.get(f"webhooks/{hook.pk}").status_code == 404
    assert client.delete(f"webhooks/{hook.pk}").status_code == 404
    assert client.get(f"webhooks/{hook.pk}/deliveries").status_code == 404
    assert Webhook.objects.filter(pk=hook.pk).exists()


def test_admin_subscribes_everywhere_and_sees_all(setup):
    programme, organiser = setup
    mine = webhook_subscribe(
        by=organiser, url="https://x.example/", events=["session.held"], programme=programme
    )
    client = api_for(AdminFactory())
    response = client.post(
        "webhooks", {"url": "https://all.example/", "events": ["feedback.received"]}
    )
    assert response.status_code == 201
    assert response.json()["programme"] is None
    ids = [h["id"] for h in client.get("webhooks").json()["items"]]
    assert ids == [response.json()["id"], mine.pk]
    assert client.delete(f"webhooks/{mine.pk}").status_code == 204


def test_members_and_read_tokens(setup):
    programme, organiser = setup
    hook = webhook_subscribe(
        by=organiser, url="https://x.example/", events=["session.held"], programme=programme
    )
    member = api_for(PersonFactory())
    for response in (
        member.get("webhooks"),
        member.post("webhooks", {"url": "https://x.example/", "events": ["session.held"]}),
        member.get(f"webhooks/{hook.pk}"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    read = api_for(organiser, scope="read")
    assert read.get("webhooks").status_code == 200
    for response in (
        read.delete(f"webhooks/{hook.pk}"),
        read.post(
            "webhooks",
            {"url": "https://y.example/", "events": ["session.held"], "programme": programme.pk},
        ),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
    assert Webhook.objects.count() == 1
    assert ApiClient().get("webhooks").status_code == 401


def test_deliveries_newest_first_with_pages(setup, django_assert_num_queries):
    programme, organiser = setup
    hook = webhook_subscribe(
        by=organiser, url="https://x.example/", events=["session.held"], programme=programme
    )
    client = api_for(organiser)
    client.get("me")

    def add(n):
        for i in range(n):
            WebhookDelivery.objects.create(
                webhook=hook, event="session.held", payload={"n": i}, status="sent", attempts=1
            )

    add(2)
    with django_assert_num_queries(3):
        body = client.get(f"webhooks/{hook.pk}/deliveries").json()
    assert [d["payload"] for d in body["items"]] == [{"n": 1}, {"n": 0}]
    first = body["items"][0]
    assert (first["event"], first["status"], first["attempts"], first["next_attempt_at"]) == (
        "session.held",
        "sent",
        1,
        None,
    )
    add(8)
    with django_assert_num_queries(3):
        assert len(client.get(f"webhooks/{hook.pk}/deliveries").json()["items"]) == 10
    page = client.get(f"webhooks/{hook.pk}/deliveries", {"limit": 4}).json()
    page2 = client.get(
        f"webhooks/{hook.pk}/deliveries", {"limit": 4, "cursor": page["next_cursor"]}
    ).json()
    ids = [d["id"] for d in page["items"] + page2["items"]]
    assert len(set(ids)) == 8


def test_webhook_list_query_count(setup, django_assert_num_queries):
    programme, organiser = setup
    client = api_for(organiser)
    client.get("me")

    def add(n):
        for i in range(n):
            webhook_subscribe(
                by=organiser,
                url=f"https://x.example/{i}",
                events=["session.held"],
                programme=programme,
            )

    add(2)
    with django_assert_num_queries(2):
        assert len(client.get("webhooks").json()["items"]) == 2
    add(8)
    with django_assert_num_queries(2):
        assert len(client.get("webhooks").json()["items"]) == 10
