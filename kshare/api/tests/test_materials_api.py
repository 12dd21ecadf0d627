"""Materials metadata through the API: visibility follows the session, files by media URL."""

from __future__ import annotations

import pytest

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.library.tests.factories import (
    LinkMaterialFactory,
    MaterialFactory,
    RecordingMaterialFactory,
)
from kshare.people.tests.factories import AdminFactory, PersonFactory, TeamFactory
from kshare.sessions.models import Invitation
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


def test_material_metadata(person):
    session = PastSessionFactory(title="Pandas")
    recording = RecordingMaterialFactory(session=session, title="The recording")
    link = LinkMaterialFactory(session=session, title="Repo", url="https://example.com/repo")
    body = api_for(person).get("materials", {"session": session.pk}).json()
    assert [m["id"] for m in body["items"]] == [recording.pk, link.pk]
    first = body["items"][0]
    assert first["session"] == {
        "id": session.pk,
        "title": "Pandas",
        "url": session.get_absolute_url(),
    }
    assert (first["kind"], first["title"], first["filename"]) == (
        "recording",
        "The recording",
        "talk.mp4",
    )
    assert (first["size"], first["content_type"]) == (recording.size, "video/mp4")
    assert first["size"] > 0
    assert first["media_url"] == f"/library/media/{recording.pk}/"
    second = body["items"][1]
    assert (second["kind"], second["url"], second["media_url"], second["size"]) == (
        "link",
        "https://example.com/repo",
        None,
        0,
    )
    assert api_for(person).get(f"materials/{link.pk}").json() == second
    assert api_for(person).get("materials", {"kind": "link"}).json()["items"] == [second]


def test_materials_follow_session_visibility():
    red = TeamFactory()
    public = MaterialFactory(session=PastSessionFactory())
    team = MaterialFactory(session=PastSessionFactory(visibility="teams"))
    team.session.teams.add(red)
    secret = MaterialFactory(session=PastSessionFactory(visibility="invite_only"))
    invitee = PersonFactory()
    Invitation.objects.create(session=secret.session, person=invitee)

    def ids(person):
        return {m["id"] for m in api_for(person).get("materials").json()["items"]}

    assert ids(PersonFactory()) == {public.pk}
    assert ids(PersonFactory(team=red)) == {public.pk, team.pk}
    assert ids(invitee) == {public.pk, secret.pk}
    assert ids(AdminFactory()) == {public.pk, team.pk, secret.pk}
    assert ids(secret.session.hosts.first()) == {public.pk, secret.pk}
    member = api_for(PersonFactory())
    for path in (f"materials/{secret.pk}", "materials/999999"):
        response = member.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert member.get("materials", {"session": secret.session_id}).status_code == 404
    assert ApiClient().get("materials").status_code == 401


def test_materials_are_read_only(person):
    material = MaterialFactory()
    client = api_for(person)
    assert client.post("materials", {"title": "x"}).status_code == 405
    assert client.delete(f"materials/{material.pk}").status_code == 405


def test_material_list_pages_and_query_count(person, django_assert_num_queries):
    client = api_for(person)
    client.get("me")
    session = PastSessionFactory()
    for _ in range(2):
        LinkMaterialFactory(session=session)
    with django_assert_num_queries(2):
        assert len(client.get("materials").json()["items"]) == 2
    for _ in range(8):
        LinkMaterialFactory(session=PastSessionFactory())
    with django_assert_num_queries(2):
        assert len(client.get("materials").json()["items"]) == 10
    seen, cursor = [], None
    while True:
        body = client.get("materials", {"limit": 3, **({"cursor": cursor} if cursor else {})})
        body = body.json()
        seen += [m["id"] for m in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 10
