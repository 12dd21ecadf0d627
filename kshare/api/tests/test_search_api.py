"""Search through the API: plain text with highlight offsets, filters, permissions, cursors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kshare.api.routers.search import unmark
from kshare.api.tests.helpers import ApiClient, token_create
from kshare.api.tests.querycount import queries_of
from kshare.ideas.tests.factories import AreaIdeaFactory
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Invitation
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


def _marked(text: str, spans: list[list[int]]) -> list[str]:
    return [text[a:b] for a, b in spans]


def test_hits_are_plain_text_with_offsets(person):
    session = ScheduledSessionFactory(
        title="Gardening with <ferrets> & ferrets",
        abstract="Before A & B the ferrets jump.",
    )
    body = api_for(person).get("search", {"q": "ferrets"}).json()
    assert (body["query"], body["total"], body["more"], body["next_cursor"]) == (
        "ferrets",
        1,
        False,
        None,
    )
    hit = body["items"][0]
    assert (hit["kind"], hit["id"], hit["session_id"]) == ("session", session.pk, session.pk)
    assert hit["title"] == "Gardening with <ferrets> & ferrets"
    # SQLite marks both words, PostgreSQL's headline may mark one: every mark is the word.
    marks = _marked(hit["title"], hit["title_highlights"])
    assert marks and set(marks) == {"ferrets"}
    assert "A & B" in hit["snippet"]  # unescaped
    assert _marked(hit["snippet"], hit["snippet_highlights"]) == ["ferrets"]
    assert hit["url"] == session.get_absolute_url()
    assert isinstance(hit["score"], float)


def test_unmark():
    assert unmark("a <mark>b</mark> &amp; <mark>&lt;c&gt;</mark>") == (
        "a b & <c>",
        [(2, 3), (6, 9)],
    )
    assert unmark("") == ("", [])
    assert unmark("<mark>é</mark>x") == ("éx", [(0, 1)])


def test_filters(person):
    tag = TagFactory(name="ml", slug="ml")
    programme = ProgrammeFactory()
    tagged = ScheduledSessionFactory(title="Wombat models", programme=programme)
    tagged.tags.add(tag)
    later = ScheduledSessionFactory(
        title="Wombat later", start=timezone.now() + dt.timedelta(days=200)
    )
    idea = AreaIdeaFactory(title="Wombat idea")
    client = api_for(person)

    def ids(**params):
        items = client.get("search", {"q": "wombat", **params}).json()["items"]
        return {(h["kind"], h["id"]) for h in items}

    assert ids() == {("session", tagged.pk), ("session", later.pk), ("idea", idea.pk)}
    assert ids(kind="idea") == {("idea", idea.pk)}
    assert ids(tag="ml") == {("session", tagged.pk)}
    assert ids(programme=programme.pk) == {("session", tagged.pk)}
    after = (timezone.now() + dt.timedelta(days=100)).date().isoformat()
    assert ids(after=after) == {("session", later.pk)}
    assert ("session", later.pk) not in ids(before=after)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 422, "q"),
        ({"q": "x", "kind": "planet"}, 422, "kind"),
        ({"q": "x", "after": "yesterday"}, 422, "after"),
        ({"q": "x", "programme": "abc"}, 422, "programme"),
        ({"q": "x", "programme": 999999}, 400, "programme"),
        ({"q": "x", "after": "2026-05-02", "before": "2026-05-01"}, 400, "before"),
        ({"q": "x", "limit": 0}, 422, "limit"),
        ({"q": "x", "cursor": "forged"}, 400, "cursor"),
        ({"q": "a\x00b"}, 422, "q"),  # the schema's pattern says so (was the form's 400)
    ],
)
def test_bad_parameters(person, params, status, field):
    response = api_for(person).get("search", params)
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]


def test_hidden_programme_is_no_filter(person):
    hidden = ProgrammeFactory(visibility="teams")
    response = api_for(person).get("search", {"q": "x", "programme": hidden.pk})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"programme": ["No such programme."]}


def test_permissions_follow_the_sessions():
    secret = ScheduledSessionFactory(title="Okapi secrets", visibility="invite_only")
    public = ScheduledSessionFactory(title="Okapi basics")
    invitee = PersonFactory()
    Invitation.objects.create(session=secret, person=invitee)

    def ids(person):
        return {h["id"] for h in api_for(person).get("search", {"q": "okapi"}).json()["items"]}

    assert ids(PersonFactory()) == {public.pk}
    assert ids(invitee) == {public.pk, secret.pk}
    assert ids(AdminFactory()) == {public.pk, secret.pk}
    assert ApiClient().get("search", {"q": "okapi"}).status_code == 401


def test_cursor_pages_through_ranked_results(person):
    for n in range(5):
        ScheduledSessionFactory(title=f"Capybara {n}")
    client = api_for(person)
    seen, cursor = [], None
    while True:
        params = {"q": "capybara", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("search", params).json()
        assert body["total"] == 5
        seen += [h["id"] for h in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    # A cursor is tied to its query and filters.
    first = client.get("search", {"q": "capybara", "limit": 2}).json()["next_cursor"]
    other = client.get("search", {"q": "capybara", "limit": 3, "cursor": first})
    assert other.status_code == 400
    assert other.json()["error"]["code"] == "invalid_cursor"


def test_query_count_does_not_grow(person):
    client = api_for(person)
    client.get("me")
    for n in range(2):
        ScheduledSessionFactory(title=f"Narwhal {n}")

    def call(expected):
        items = client.get("search", {"q": "narwhal"}).json()["items"]
        assert len(items) == expected

    few = queries_of(lambda: call(2))
    for n in range(8):
        ScheduledSessionFactory(title=f"Narwhal more {n}")
    assert 0 < queries_of(lambda: call(10)) == few <= 8
