"""Topic requests through the API: the ranked list, asking, +1s and volunteering."""

from __future__ import annotations

import pytest

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.topics.models import TopicRequest, TopicVolunteer, TopicVote
from kshare.topics.tests.factories import (
    TopicRequestFactory,
    TopicVolunteerFactory,
    TopicVoteFactory,
)

pytestmark = pytest.mark.django_db


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


def test_list_ranked_by_votes(person):
    few = TopicRequestFactory(title="Few")
    many = TopicRequestFactory(title="Many")
    for _ in range(3):
        TopicVoteFactory(request=many)
    TopicVoteFactory(request=few, person=person)
    TopicVolunteerFactory(request=few)
    TopicRequestFactory(title="Done", status="closed")
    client = api_for(person)
    body = client.get("topics").json()
    assert [t["title"] for t in body["items"]] == ["Many", "Few"]
    first, second = body["items"]
    assert (first["votes"], first["voted"], first["volunteers"]) == (3, False, 0)
    assert (second["votes"], second["voted"], second["volunteers"]) == (1, True, 1)
    assert second["requester"] == {
        "id": few.requester_id,
        "display_name": few.requester.display_name,
    }
    assert [t["title"] for t in client.get("topics", {"status": "closed"}).json()["items"]] == [
        "Done"
    ]
    assert client.get("topics", {"status": "gone"}).status_code == 422
    page = client.get("topics", {"limit": 1}).json()
    assert [t["title"] for t in page["items"]] == ["Many"]
    page = client.get("topics", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert ([t["title"] for t in page["items"]], page["next_cursor"]) == (["Few"], None)


def test_answering_session_is_shown_only_to_who_may_see_it(person):
    hidden = ScheduledSessionFactory(visibility="invite_only")
    topic = TopicRequestFactory(session=hidden, status="scheduled")
    body = api_for(person).get(f"topics/{topic.pk}").json()
    assert body["session"] is None
    host = hidden.hosts.first()
    body = api_for(host).get(f"topics/{topic.pk}").json()
    assert body["session"]["id"] == hidden.pk


def test_create_a_request_with_tags(person):
    TagFactory(name="dbt", slug="dbt")
    response = api_for(person).post(
        "topics", {"title": " dbt  for analysts ", "description": "Models", "tags": ["dbt", "SQL"]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["description"], body["status"]) == (
        "dbt for analysts",
        "Models",
        "open",
    )
    assert sorted(t["slug"] for t in body["tags"]) == ["dbt", "sql"]
    # Asking is the first +1.
    assert (body["votes"], body["voted"], body["volunteer_list"]) == (1, True, [])
    assert TopicRequest.objects.get().requester == person


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({}, 422, "title"),
        ({"title": ""}, 422, "title"),
        ({"title": "x" * 201}, 422, "title"),
        ({"title": "ok", "tags": ["a,b"]}, 400, "tags"),
        ({"title": "ok", "tags": ["t"] * 11}, 422, "tags"),
        ({"title": "ok", "description": 3}, 422, "description"),
    ],
)
def test_create_errors(person, payload, status, field):
    response = api_for(person).post("topics", payload)
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]
    assert not TopicRequest.objects.exists()


def test_vote_and_volunteer(person):
    topic = TopicRequestFactory()
    client = api_for(person)
    for _ in range(2):
        body = client.put(f"topics/{topic.pk}/vote").json()
        assert (body["votes"], body["voted"]) == (1, True)
    body = client.delete(f"topics/{topic.pk}/vote").json()
    assert (body["votes"], body["voted"]) == (0, False)
    body = client.put(f"topics/{topic.pk}/volunteer", {"note": "I ran this"}).json()
    assert (body["volunteered"], body["volunteers"]) == (True, 1)
    assert body["volunteer_list"][0]["person"]["id"] == person.pk
    assert body["volunteer_list"][0]["note"] == "I ran this"
    body = client.put(f"topics/{topic.pk}/volunteer", {"note": "Updated"}).json()
    assert [v["note"] for v in body["volunteer_list"]] == ["Updated"]
    body = client.delete(f"topics/{topic.pk}/volunteer").json()
    assert (body["volunteered"], body["volunteer_list"]) == (False, [])
    assert client.put(f"topics/{topic.pk}/volunteer", {"note": "x" * 501}).status_code == 422


def test_closed_request_takes_no_vote_409(person):
    topic = TopicRequestFactory(status="closed")
    client = api_for(person)
    for path in (f"topics/{topic.pk}/vote", f"topics/{topic.pk}/volunteer"):
        response = client.put(path, {} if "volunteer" in path else None)
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "invalid_state"
        assert "takes no more +1s" in response.json()["error"]["message"]
    assert not TopicVote.objects.filter(person=person).exists()
    assert not TopicVolunteer.objects.exists()


def test_permissions_and_errors(person):
    topic = TopicRequestFactory()
    read = api_for(person, scope="read")
    assert read.get(f"topics/{topic.pk}").status_code == 200
    for response in (
        read.put(f"topics/{topic.pk}/vote"),
        read.put(f"topics/{topic.pk}/volunteer", {}),
        read.post("topics", {"title": "x"}),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
    assert not TopicVote.objects.filter(person=person).exists()
    client = api_for(person)
    response = client.get("topics/999999")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert client.put("topics/999999/vote").status_code == 404
    assert ApiClient().get("topics").status_code == 401


def test_list_query_count(person, django_assert_num_queries):
    client = api_for(person)
    client.get("me")
    tag = TagFactory()

    def add(n):
        for _ in range(n):
            topic = TopicRequestFactory(session=ScheduledSessionFactory())
            topic.tags.add(tag)
            TopicVoteFactory(request=topic)

    add(2)
    with django_assert_num_queries(3):
        assert len(client.get("topics").json()["items"]) == 2
    add(8)
    with django_assert_num_queries(3):
        assert len(client.get("topics").json()["items"]) == 10
