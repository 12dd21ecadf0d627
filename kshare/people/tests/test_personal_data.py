"""The personal data registry and "Your data": every relation to a person is handled, and the
export holds exactly the person's data."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from kshare.api.tests.helpers import token_create
from kshare.library.tests.factories import MP4_HEADER
from kshare.people.data_export import person_export_archive, person_export_data
from kshare.people.personal_data_registry import contributions, handled_fields
from kshare.people.tests.factories import PersonFactory
from kshare.people.tests.personal_data_world import world_build


def _relations_to_person() -> set[str]:
    """Every foreign key, one-to-one and many-to-many field (of any installed app) that points
    at a person, and the person's own many-to-many fields."""
    person_model = apps.get_model(settings.AUTH_USER_MODEL)
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created:
                continue
            if field.related_model is person_model:
                through = getattr(field.remote_field, "through", None)
                if field.many_to_many and not through._meta.auto_created:
                    continue  # the through model's own foreign key is listed instead
                found.add(f"{model._meta.label}.{field.name}")
            elif model is person_model and field.many_to_many:
                found.add(f"{model._meta.label}.{field.name}")
    return found


def test_every_relation_to_a_person_is_handled_by_a_personal_data_module():
    relations = _relations_to_person()
    handled = {key for key in handled_fields() if " " not in key}  # not the notes without a key
    assert sorted(relations - handled) == []  # a new model was not given a personal_data entry
    assert sorted(handled - relations) == []  # an entry names a field that no longer exists
    assert "audit.AuditEntry.actor" in relations
    assert "admin.LogEntry.user" in relations


def test_registry_finds_the_apps_modules_and_runs_the_audit_log_last():
    labels = [c.label for c in contributions()]
    assert labels[-1] == "audit"
    assert set(labels) == {
        "api",
        "attendance",
        "audit",
        "calendars",
        "chat",
        "feedback",
        "ideas",
        "library",
        "outbox",
        "people",
        "programmes",
        "questions",
        "recommend",
        "scheduling",
        "talks",
        "topics",
        "webhooks",
    }


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db, media_root):
    return world_build()


def _archive(person) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(person_export_archive(person))))


def test_export_holds_the_persons_data(world):
    data = person_export_data(world.subject)["apps"]
    assert data["people"]["profile"]["email"] == "subject@example.com"
    assert data["people"]["profile"]["bio"] == "Hi"
    assert data["people"]["interests"] == ["interest-subject"]
    assert data["people"]["skills"] == [{"tag": "skill-subject", "level": 2}]
    assert [(h["title"], h["role"]) for h in data["talks"]["sessions_hosted"]] == [
        ("Hosted by subject", "host"),
        ("Hosted by other", "cohost"),
    ]
    assert [i["session__title"] for i in data["talks"]["invitations"]] == ["Upcoming"]
    assert data["talks"]["invitations_sent"] == 2
    assert [s["title"] for s in data["talks"]["sessions_proposed_for_others"]] == [
        "Drafted for other"
    ]
    assert [s["session__title"] for s in data["talks"]["stars"]] == ["Hosted by other"]
    assert [i["title"] for i in data["ideas"]["ideas"]] == ["Idea by subject"]
    assert [c["body"] for c in data["ideas"]["idea_comments"]] == ["Comment by subject"]
    assert [t["title"] for t in data["topics"]["topic_requests"]] == ["Topic by subject"]
    assert [q["text"] for q in data["questions"]["questions_asked"]] == ["Question by subject"]
    assert [q["question__text"] for q in data["questions"]["question_votes"]] == [
        "Question by other"
    ]
    named = data["feedback"]["feedback_responses_named"]
    assert [(r["session_title"], [a["value"] for a in r["answers"]]) for r in named] == [
        ("Hosted by other", [4])
    ]
    assert data["feedback"]["hosting_answers_not_yet_passed_on"] == [
        {"session__title": "Anonymous", "answer": "yes", "topics": "Held topic"}
    ]
    assert [p["answer"] for p in data["feedback"]["prospective_host"]] == ["maybe"]
    assert [m["subject"] for m in data["outbox"]["mails"]] == ["Mail for subject"]
    assert [t["name"] for t in data["api"]["api_tokens"]] == ["token-subject"]
    assert [w["url"] for w in data["webhooks"]["webhooks"]] == ["https://hooks.example.com/subject"]
    assert data["programmes"]["programmes_organised"] == ["Named programme"]
    assert [e["target_label"] for e in data["audit"]["audit_log_actions"]] == [
        "Programme edited by subject"
    ]
    assert [m["title"] for m in data["library"]["materials_added"]] == ["Recording by subject"]
    assert data["scheduling"]["rhythm_events_created"][0]["name"] == "Rhythm by subject"


def test_export_holds_nothing_of_anyone_else(world):
    text = json.dumps(person_export_data(world.subject), default=str)
    for trace in (
        "other@example.com",
        "Otto Other",
        "skill-other",
        "interest-other",
        "Idea by other",
        "Topic by other",
        "token-other",
        "Mail for other",
        "Programme edited by other",
        "Rhythm by other",
        "Comment by other",
        "Link by other",
    ):
        assert trace not in text
    # No keyed hash of an anonymous response, no anonymous answer, no secret.
    assert world.anonymous_response.respondent_hash not in text
    assert world.named_response.respondent_hash not in text
    assert "whsec_" not in text
    assert world.subject.calendar_feed.token not in text


def test_the_archive_holds_data_json_and_the_persons_files(world):
    archive = _archive(world.subject)
    names = archive.namelist()
    material = world.hosted.materials.get(title="Recording by subject")
    assert names == ["data.json", f"files/material-{material.pk}.mp4"]
    assert archive.read(names[1]) == MP4_HEADER + bytes(range(256)) * 4
    assert archive.testzip() is None
    data = json.loads(archive.read("data.json"))
    assert data["person"] == world.subject.pk
    assert data["apps"]["library"]["materials_added"][0]["file_in_archive"] == names[1]
    assert _archive(world.other).namelist() == ["data.json"]


def test_your_data_page_downloads_only_the_signed_in_persons_archive(client, world):
    client.force_login(world.other)
    page = client.get(reverse("people:your_data"))
    assert page.status_code == 200
    assert reverse("people:your_data_download") in page.content.decode()
    response = client.get(reverse("people:your_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))
    assert data["apps"]["people"]["profile"]["email"] == "other@example.com"
    assert "subject@example.com" not in archive.read("data.json").decode()


def test_your_data_needs_sign_in(client, db):
    response = client.get(reverse("people:your_data_download"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_downloads_are_limited_per_hour(client, db, settings):
    cache.clear()
    settings.KSHARE_EXPORT_PER_HOUR = 2
    person = PersonFactory()
    client.force_login(person)
    url = reverse("people:your_data_download")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    refused = client.get(url)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "Try again in" in refused.content.decode()
    assert client.post(url).status_code == 405


def test_api_me_export_is_the_tokens_owners_archive(client, world, settings):
    cache.clear()
    settings.KSHARE_EXPORT_PER_HOUR = 1
    token = token_create(world.subject, scope="read")
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/me/export", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(archive.read("data.json"))["person"] == world.subject.pk
    again = client.get("/api/v1/me/export", headers=headers)
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "rate_limited"


def test_a_large_upload_is_streamed_into_the_archive_in_bounded_memory(db, media_root):
    import hashlib
    import tracemalloc

    from kshare.library.tests.factories import RecordingMaterialFactory

    person = PersonFactory()
    material = RecordingMaterialFactory(added_by=person)
    size = 64 * 1024 * 1024
    path = media_root / material.file.name
    block = bytes(range(256)) * 4096  # 1 MB
    written = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size // len(block)):
            out.write(block)
            written.update(block)
    expected = written.hexdigest()

    tracemalloc.start()
    total = 0
    for chunk in person_export_archive(person):
        total += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total > size
    print(f"archive of {total} bytes, peak Python memory {peak} bytes")
    assert peak < 4 * 1024 * 1024  # a few 256 KB chunks, not the 64 MB file
    # And the archive is right: written again to a file, it reads back with the same bytes.
    archive_path = media_root / "archive.zip"
    with archive_path.open("wb") as out:
        for chunk in person_export_archive(person):
            out.write(chunk)
    with zipfile.ZipFile(archive_path) as archive:
        name = f"files/material-{material.pk}.mp4"
        digest = hashlib.sha256()
        with archive.open(name) as member:
            while piece := member.read(1024 * 1024):
                digest.update(piece)
        assert digest.hexdigest() == expected
        assert archive.getinfo(name).file_size == size


def test_the_profile_settings_link_to_your_data(client, db):
    client.force_login(PersonFactory())
    page = client.get(reverse("people:edit_profile")).content.decode()
    assert f'<a href="{reverse("people:your_data")}">Your data</a>' in page
