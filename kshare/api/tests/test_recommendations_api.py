"""Recommendations through the API: my sessions and recordings, invitees, hosts, topics."""

from __future__ import annotations

import pytest

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.api.tests.querycount import queries_of
from kshare.library.tests.factories import LinkMaterialFactory
from kshare.people.tests.factories import (
    AdminFactory,
    OrganiserFactory,
    PersonFactory,
    SkillFactory,
)
from kshare.sessions.tests.factories import PastSessionFactory, ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.topics.tests.factories import TopicRequestFactory, TopicVoteFactory

pytestmark = pytest.mark.django_db


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


@pytest.fixture
def k8s(db):
    return TagFactory(name="kubernetes", slug="kubernetes")


def test_my_sessions_with_reasons(k8s):
    host = PersonFactory(display_name="Hana Host")
    upcoming = ScheduledSessionFactory(title="Kubernetes operators", host=host)
    upcoming.tags.add(k8s)
    hidden = ScheduledSessionFactory(title="Secret kubernetes", visibility="invite_only")
    hidden.tags.add(k8s)
    newcomer = PersonFactory()
    SkillFactory(person=newcomer, tag=k8s, level=1)
    body = api_for(newcomer).get("recommendations/sessions").json()
    assert body == {
        "items": [
            {
                "session": {
                    "id": upcoming.pk,
                    "title": "Kubernetes operators",
                    "format": "talk",
                    "state": "scheduled",
                    "start": upcoming.start.isoformat().replace("+00:00", "Z"),
                    "end": upcoming.end.isoformat().replace("+00:00", "Z"),
                    "hosts": [{"id": host.pk, "display_name": "Hana Host"}],
                    "url": upcoming.get_absolute_url(),
                },
                "reason": "matches your skill: kubernetes",
            }
        ]
    }
    assert api_for(PersonFactory()).get("recommendations/sessions").json()["items"] == []


def test_my_recordings(k8s):
    held = PastSessionFactory(title="Kubernetes recorded")
    held.tags.add(k8s)
    LinkMaterialFactory(session=held, kind="recording")
    person = PersonFactory()
    SkillFactory(person=person, tag=k8s, level=2)
    items = api_for(person).get("recommendations/recordings").json()["items"]
    assert [(i["session"]["id"], i["session"]["state"]) for i in items] == [(held.pk, "held")]


def test_limit_is_checked(person):
    client = api_for(person)
    assert client.get("recommendations/sessions", {"limit": 0}).status_code == 422
    assert client.get("recommendations/sessions", {"limit": 51}).status_code == 422
    assert ApiClient().get("recommendations/sessions").status_code == 401


def test_invitees_for_a_session_i_may_edit(k8s):
    host = PersonFactory()
    session = ScheduledSessionFactory(host=host)
    session.tags.add(k8s)
    expert = PersonFactory(display_name="Erin Expert")
    SkillFactory(person=expert, tag=k8s, level=3)
    body = api_for(host).get("recommendations/invitees", {"session": session.pk}).json()
    assert body["items"][0]["person"] == {"id": expert.pk, "display_name": "Erin Expert"}
    assert body["items"][0]["reasons"] == ["skill: kubernetes (expert)"]
    assert isinstance(body["items"][0]["score"], float)
    assert host.pk not in [i["person"]["id"] for i in body["items"]]
    organiser = OrganiserFactory()
    session.programme.organisers.add(organiser)
    for who in (organiser, AdminFactory()):
        response = api_for(who).get("recommendations/invitees", {"session": session.pk})
        assert response.status_code == 200
    member = api_for(PersonFactory())
    response = member.get("recommendations/invitees", {"session": session.pk})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    hidden = ScheduledSessionFactory(visibility="invite_only")
    assert member.get("recommendations/invitees", {"session": hidden.pk}).status_code == 404
    assert member.get("recommendations/invitees").status_code == 422


def test_hosts_for_a_topic(k8s):
    topic = TopicRequestFactory(title="Kubernetes for analysts")
    topic.tags.add(k8s)
    expert = PersonFactory(display_name="Erin Expert")
    SkillFactory(person=expert, tag=k8s, level=3)
    body = api_for(PersonFactory()).get("recommendations/hosts", {"topic": topic.pk}).json()
    assert [(i["person"]["id"], i["reasons"]) for i in body["items"]] == [
        (expert.pk, ["skill: kubernetes (expert)"])
    ]
    response = api_for(PersonFactory()).get("recommendations/hosts", {"topic": 999999})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_topics_i_could_host(k8s):
    person = PersonFactory()
    SkillFactory(person=person, tag=k8s, level=3)
    wanted = TopicRequestFactory(title="Kubernetes for data scientists")
    wanted.tags.add(k8s)
    TopicVoteFactory(request=wanted)
    items = api_for(person).get("recommendations/topics").json()["items"]
    assert items[0] == {
        "title": "Kubernetes for data scientists",
        "reason": "Requested by 1 person · matches your skill: kubernetes",
        "url": f"/sessions/propose/?request={wanted.pk}",
    }


def test_sessions_query_count(k8s):
    person = PersonFactory()
    SkillFactory(person=person, tag=k8s, level=1)
    client = api_for(person)
    client.get("me")

    def add(n):
        for _ in range(n):
            ScheduledSessionFactory().tags.add(k8s)

    def call(expected):
        items = client.get("recommendations/sessions", {"limit": 10}).json()["items"]
        assert len(items) == expected

    add(2)
    few = queries_of(lambda: call(2))
    add(8)
    assert 0 < queries_of(lambda: call(10)) == few <= 10
