"""Ideas and votes through the API."""

from __future__ import annotations

import pytest

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.ideas.models import Idea, IdeaVote
from kshare.ideas.tests.factories import (
    AreaIdeaFactory,
    IdeaCommentFactory,
    IdeaFactory,
    IdeaVoteFactory,
    ProductAreaFactory,
)
from kshare.people.tests.factories import AdminFactory, PersonFactory, TeamFactory
from kshare.sessions.models import Invitation
from kshare.sessions.tests.factories import ScheduledSessionFactory

pytestmark = pytest.mark.django_db


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


def test_board_top_and_new(person):
    quiet = IdeaFactory(title="Quiet")
    loud = AreaIdeaFactory(title="Loud")
    for _ in range(2):
        IdeaVoteFactory(idea=loud)
    IdeaVoteFactory(idea=quiet, person=person)
    IdeaCommentFactory(idea=quiet)
    client = api_for(person)
    body = client.get("ideas").json()
    assert [i["title"] for i in body["items"]] == ["Loud", "Quiet"]
    first, second = body["items"]
    assert (first["votes"], first["voted"], first["comments"]) == (2, False, 0)
    assert (second["votes"], second["voted"], second["comments"]) == (1, True, 1)
    assert first["area"]["slug"] == loud.area.slug and first["session"] is None
    assert second["session"]["id"] == quiet.session_id and second["area"] is None
    assert (second["status"], second["author"]["id"]) == ("new", quiet.author_id)
    assert second["url"] == quiet.get_absolute_url()
    body = client.get("ideas", {"order": "new"}).json()
    newest = Idea.objects.order_by("-created_at", "-id").values_list("title", flat=True)
    assert [i["title"] for i in body["items"]] == list(newest)
    assert [i["title"] for i in client.get("ideas", {"area": loud.area.slug}).json()["items"]] == [
        "Loud"
    ]
    by_session = client.get("ideas", {"session": quiet.session_id}).json()["items"]
    assert [i["title"] for i in by_session] == ["Quiet"]
    assert client.get("ideas", {"area": "nope"}).status_code == 404
    assert client.get("ideas", {"order": "random"}).status_code == 422


def test_top_order_pages_with_the_cursor(person):
    ideas = [AreaIdeaFactory() for _ in range(5)]
    for n, idea in enumerate(ideas):
        for _ in range(n % 3):
            IdeaVoteFactory(idea=idea)
    client = api_for(person)
    seen, cursor = [], None
    while True:
        body = client.get("ideas", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [(i["votes"], i["id"]) for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and len({i for _, i in seen}) == 5
    assert [v for v, _ in seen] == sorted((v for v, _ in seen), reverse=True)


def test_ideas_follow_session_visibility():
    red = TeamFactory()
    public = IdeaFactory()
    team = IdeaFactory(session=ScheduledSessionFactory(visibility="teams"))
    team.session.teams.add(red)
    secret = IdeaFactory(session=ScheduledSessionFactory(visibility="invite_only"))
    area = AreaIdeaFactory()
    invitee = PersonFactory()
    Invitation.objects.create(session=secret.session, person=invitee)

    def ids(person):
        return {i["id"] for i in api_for(person).get("ideas").json()["items"]}

    assert ids(PersonFactory()) == {public.pk, area.pk}
    assert ids(PersonFactory(team=red)) == {public.pk, area.pk, team.pk}
    assert ids(invitee) == {public.pk, area.pk, secret.pk}
    assert ids(secret.session.hosts.first()) == {public.pk, area.pk, secret.pk}
    assert ids(AdminFactory()) == {public.pk, area.pk, team.pk, secret.pk}
    member = api_for(PersonFactory())
    for path in (f"ideas/{secret.pk}", f"ideas/{secret.pk}/vote"):
        assert member.get(path).status_code in (404, 405)
    assert member.get(f"ideas/{secret.pk}").json()["error"]["code"] == "not_found"
    assert member.put(f"ideas/{secret.pk}/vote").status_code == 404
    assert member.get("ideas", {"session": secret.session_id}).status_code == 404
    assert not IdeaVote.objects.exists()
    assert ApiClient().get("ideas").status_code == 401


def test_create_on_a_session_or_an_area(person):
    session = ScheduledSessionFactory()
    area = ProductAreaFactory()
    client = api_for(person)
    response = client.post(
        "ideas", {"title": "  Use   it for billing ", "description": "How?", "session": session.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["description"], body["status"]) == (
        "Use it for billing",
        "How?",
        "new",
    )
    assert (body["session"]["id"], body["author"]["id"], body["votes"]) == (
        session.pk,
        person.pk,
        0,
    )
    response = client.post("ideas", {"title": "Area one", "area": area.slug})
    assert response.status_code == 201
    assert response.json()["area"]["id"] == area.pk
    assert Idea.objects.filter(author=person).count() == 2


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"title": "No home"}, 400, "session"),
        ({"title": "x", "area": "nope"}, 400, "area"),
        ({"title": "x", "session": 999999}, 400, "session"),
        ({"title": "   ", "area": "{area}"}, 422, "title"),
        ({"title": "a\x00b", "area": "{area}"}, 422, "title"),
        ({"title": 5, "area": "{area}"}, 422, "title"),
        ({"title": "x" * 201, "area": "{area}"}, 422, "title"),
        ({"title": "x", "session": "1"}, 422, "session"),
    ],
)
def test_create_errors(person, payload, status, field):
    area = ProductAreaFactory()
    payload = {k: v.format(area=area.slug) if isinstance(v, str) else v for k, v in payload.items()}
    response = api_for(person).post("ideas", payload)
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]
    assert not Idea.objects.exists()


def test_cannot_create_an_idea_on_a_hidden_session(person):
    hidden = ScheduledSessionFactory(visibility="invite_only")
    response = api_for(person).post("ideas", {"title": "Sneaky", "session": hidden.pk})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"session": ["No such session."]}
    assert not Idea.objects.exists()


def test_vote_and_unvote_are_idempotent(person):
    idea = AreaIdeaFactory()
    client = api_for(person)
    for _ in range(2):
        body = client.put(f"ideas/{idea.pk}/vote").json()
        assert (body["votes"], body["voted"]) == (1, True)
    assert IdeaVote.objects.filter(idea=idea, person=person).count() == 1
    for _ in range(2):
        body = client.delete(f"ideas/{idea.pk}/vote").json()
        assert (body["votes"], body["voted"]) == (0, False)
    read = api_for(person, scope="read")
    response = read.put(f"ideas/{idea.pk}/vote")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert read.post("ideas", {"title": "x", "area": idea.area.slug}).status_code == 403
    assert not IdeaVote.objects.exists()
    assert Idea.objects.count() == 1


def test_areas_list_counts_visible_ideas(person):
    area = ProductAreaFactory(name="Billing")
    AreaIdeaFactory(area=area)
    IdeaFactory(area=area, session=ScheduledSessionFactory(visibility="invite_only"))
    body = api_for(person).get("ideas/areas").json()
    assert body["items"] == [
        {"id": area.pk, "name": "Billing", "slug": area.slug, "description": "", "ideas": 1}
    ]


def test_board_query_count(person, django_assert_num_queries):
    client = api_for(person)
    client.get("me")
    for _ in range(2):
        IdeaVoteFactory(idea=IdeaFactory())
    with django_assert_num_queries(2):
        assert len(client.get("ideas").json()["items"]) == 2
    for _ in range(4):
        IdeaVoteFactory(idea=IdeaFactory())
        IdeaCommentFactory(idea=AreaIdeaFactory())
    with django_assert_num_queries(2):
        assert len(client.get("ideas").json()["items"]) == 10
