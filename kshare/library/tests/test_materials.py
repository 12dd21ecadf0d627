"""Materials on a session: notes and links, editing, deleting, the session page section."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.library import services, sniff
from kshare.library.models import Material
from kshare.library.tests.factories import (
    LinkMaterialFactory,
    MaterialFactory,
    RecordingMaterialFactory,
    SlidesMaterialFactory,
)
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def host(db):
    return PersonFactory(email="host@example.com")


@pytest.fixture
def session(host):
    return PastSessionFactory(host=host, title="Streams")


@pytest.fixture
def host_client(client, host):
    client.force_login(host)
    return client


def _html(response) -> str:
    return response.content.decode()


# -- notes and links -----------------------------------------------------------------------------


def test_host_adds_notes_rendered_sanitised(host_client, session):
    response = host_client.post(
        f"/library/sessions/{session.pk}/add/notes/",
        {
            "title": "What we said",
            "notes": "# Summary\n\n**Bold** <script>alert('x')</script> [ok](https://e.com)",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/#materials"
    notes = Material.objects.get()
    assert (notes.kind, notes.title) == ("notes", "What we said")
    page = _html(host_client.get(f"/sessions/{session.pk}/"))
    assert "<strong>Bold</strong>" in page
    assert '<a href="https://e.com"' in page
    assert "<script>alert" not in page


def test_notes_script_stays_out_of_the_page(host_client, session):
    MaterialFactory(session=session, notes="Hello <script>alert(1)</script><img src=x onerror=y>")

    page = _html(host_client.get(f"/sessions/{session.pk}/"))

    assert "Hello" in page
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page


def test_host_adds_a_link(host_client, session):
    response = host_client.post(
        f"/library/sessions/{session.pk}/add/link/",
        {"title": "The repo", "url": "https://git.example.com/repo"},
    )

    assert response.status_code == 302
    link = Material.objects.get()
    assert (link.kind, link.url) == ("link", "https://git.example.com/repo")
    page = _html(host_client.get(f"/sessions/{session.pk}/"))
    assert (
        '<a href="https://git.example.com/repo" rel="noopener noreferrer nofollow">The repo</a>'
        in page
    )


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://e.com/x", "not a url", ""])
def test_link_must_be_a_web_address(host_client, session, url):
    response = host_client.post(
        f"/library/sessions/{session.pk}/add/link/", {"title": "Bad", "url": url}
    )

    assert response.status_code == 400
    assert not Material.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "   ", "notes": "x"}, "Give the material a title."),
        ({"title": "x" * 201, "notes": "x"}, "Keep the title under 200 characters."),
        ({"title": "T\x00", "notes": "x"}, "Null characters are not allowed."),
        ({"title": "T", "notes": ""}, "Write the notes."),
        ({"title": "T", "notes": "x" * 200_001}, "Keep the notes under 200,000 characters."),
    ],
)
def test_bad_notes_input_gets_a_form_error(host_client, session, data, message):
    response = host_client.post(f"/library/sessions/{session.pk}/add/notes/", data)

    assert response.status_code == 400
    assert message in _html(response)
    assert not Material.objects.exists()


def test_members_who_may_not_edit_get_403_and_strangers_404(client, session):
    client.force_login(PersonFactory())
    assert client.get(f"/library/sessions/{session.pk}/add/notes/").status_code == 403
    data = {"title": "T", "notes": "N"}
    assert client.post(f"/library/sessions/{session.pk}/add/notes/", data).status_code == 403

    session.visibility = Visibility.INVITE_ONLY
    session.save()
    assert client.post(f"/library/sessions/{session.pk}/add/notes/", data).status_code == 404
    assert not Material.objects.exists()


def test_admins_may_add(client, session):
    client.force_login(AdminFactory())

    data = {"title": "T", "url": "https://e.com"}
    assert client.post(f"/library/sessions/{session.pk}/add/link/", data).status_code == 302


# -- edit ----------------------------------------------------------------------------------------


def test_edit_notes(host_client, session):
    notes = MaterialFactory(session=session, title="Old", notes="old text")

    form = host_client.get(f"/library/materials/{notes.pk}/edit/")
    response = host_client.post(
        f"/library/materials/{notes.pk}/edit/", {"title": "New", "notes": "new text"}
    )

    assert form.status_code == 200
    assert "old text</textarea>" in _html(form)
    assert response.status_code == 302
    notes.refresh_from_db()
    assert (notes.title, notes.notes) == ("New", "new text")


def test_edit_link(host_client, session):
    link = LinkMaterialFactory(session=session)

    host_client.post(
        f"/library/materials/{link.pk}/edit/", {"title": "Moved", "url": "https://new.example.com"}
    )

    link.refresh_from_db()
    assert (link.title, link.url) == ("Moved", "https://new.example.com")


def test_edit_a_recording_changes_only_its_title(host_client, session):
    recording = RecordingMaterialFactory(session=session)
    stored = recording.file.name

    response = host_client.post(
        f"/library/materials/{recording.pk}/edit/",
        {"title": "Renamed", "url": "https://evil.example.com", "notes": "x"},
    )

    assert response.status_code == 302
    recording.refresh_from_db()
    assert (recording.title, recording.url, recording.notes) == ("Renamed", "", "")
    assert recording.file.name == stored


def test_edit_by_a_non_editor_is_403_and_invisible_is_404(client, session):
    notes = MaterialFactory(session=session)
    client.force_login(PersonFactory())

    assert client.post(f"/library/materials/{notes.pk}/edit/", {"title": "X"}).status_code == 403
    session.visibility = Visibility.INVITE_ONLY
    session.save()
    assert client.get(f"/library/materials/{notes.pk}/edit/").status_code == 404
    notes.refresh_from_db()
    assert notes.title != "X"


# -- delete --------------------------------------------------------------------------------------


def test_delete_removes_the_file_after_commit(
    host_client, session, media_root, django_capture_on_commit_callbacks
):
    recording = RecordingMaterialFactory(session=session)
    path = media_root / recording.file.name
    assert path.exists()

    confirm = host_client.get(f"/library/materials/{recording.pk}/delete/")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = host_client.post(f"/library/materials/{recording.pk}/delete/")
    assert path.exists()  # not before the commit
    for callback in callbacks:
        callback()

    assert confirm.status_code == 200
    assert "It cannot be undone." in _html(confirm)
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/#materials"
    assert not Material.objects.exists()
    assert not path.exists()


def test_delete_rolled_back_keeps_the_file(session, media_root, django_capture_on_commit_callbacks):
    from django.db import transaction

    slides = SlidesMaterialFactory(session=session)
    pk, path = slides.pk, media_root / slides.file.name

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.material_delete(material=slides)
        raise RuntimeError

    assert callbacks == []
    assert Material.objects.filter(pk=pk).exists()
    assert path.exists()


def test_delete_by_a_non_editor_is_refused(client, session, media_root):
    recording = RecordingMaterialFactory(session=session)
    client.force_login(PersonFactory())

    assert client.post(f"/library/materials/{recording.pk}/delete/").status_code == 403
    assert Material.objects.filter(pk=recording.pk).exists()
    assert (media_root / recording.file.name).exists()


def test_failed_save_leaves_no_file(session, media_root, monkeypatch):
    from django.core.files.base import ContentFile

    from kshare.library import sniff
    from kshare.library.tests.samples import MP4

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(Material, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.material_add_file(
            session=session,
            kind="recording",
            title="T",
            upload=ContentFile(MP4, name="x.mp4"),
            sniffed=sniff.MP4,
            filename="x.mp4",
            by=None,
        )

    assert [p for p in media_root.rglob("*") if p.is_file()] == []


# -- the session page ----------------------------------------------------------------------------


def test_session_page_shows_every_kind(host_client, session):
    video = RecordingMaterialFactory(session=session, title="The video")
    audio = RecordingMaterialFactory(
        session=session, title="The audio", content_type="audio/mpeg", filename="a.mp3"
    )
    external = RecordingMaterialFactory(
        session=session, title="Elsewhere", file="", size=0, url="https://video.example.com/1"
    )
    pdf = SlidesMaterialFactory(session=session, title="Deck")
    pptx = SlidesMaterialFactory(
        session=session, title="Deck 2", filename="d.pptx", content_type=sniff.PPTX.content_type
    )
    MaterialFactory(session=session, title="Notes", notes="*hi*")

    page = _html(host_client.get(f"/sessions/{session.pk}/"))

    assert '<h2 id="materials-heading">Materials</h2>' in page
    assert (
        f'<video id="recording-{video.pk}" class="material-player" controls preload="metadata" '
        f'src="/library/media/{video.pk}/"'
    ) in page
    assert (
        f'<audio id="recording-{audio.pk}" class="material-player" controls preload="metadata" '
        f'src="/library/media/{audio.pk}/"' in page
    )
    assert (
        '<a href="https://video.example.com/1" rel="noopener noreferrer nofollow">'
        "Watch the recording</a>" in page
    )
    assert (
        f'<iframe class="slides-frame" src="/library/media/{pdf.pk}/" title="Slides: Deck"' in page
    )
    assert f'<iframe class="slides-frame" src="/library/media/{pptx.pk}/"' not in page
    assert f'href="/library/media/{pptx.pk}/?download=1">Download d.pptx</a>' in page
    assert "<em>hi</em>" in page
    assert f"/library/materials/{external.pk}/edit/" in page
    assert f"/library/sessions/{session.pk}/add/recording/" in page
    assert ' style="' not in page


def test_viewers_who_may_not_edit_see_no_edit_links(member_client, session):
    notes = MaterialFactory(session=session)

    page = _html(member_client.get(f"/sessions/{session.pk}/"))

    assert notes.title in page
    assert f"/library/materials/{notes.pk}/edit/" not in page
    assert "/add/notes/" not in page


def test_session_without_materials_says_so(member_client, session):
    page = _html(member_client.get(f"/sessions/{session.pk}/"))

    assert "No recordings, slides, notes or links yet." in page


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _materials(session, n):
    for i in range(n):
        [MaterialFactory, LinkMaterialFactory, RecordingMaterialFactory, SlidesMaterialFactory][
            i % 4
        ](session=session)


def test_session_page_query_count_does_not_grow_with_materials(host_client, host):
    small, large = PastSessionFactory(host=host), PastSessionFactory(host=host)
    _materials(small, 2)
    _materials(large, 10)

    assert _page_queries(host_client, f"/sessions/{large.pk}/") == _page_queries(
        host_client, f"/sessions/{small.pk}/"
    )


def test_admin_delete_removes_the_file(
    client, admin_person, session, media_root, django_capture_on_commit_callbacks
):
    recording = RecordingMaterialFactory(session=session)
    path = media_root / recording.file.name
    client.force_login(admin_person)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/library/material/{recording.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Material.objects.exists()
    assert not path.exists()


def test_admin_cannot_put_a_file_past_the_checks(client, admin_person, session):
    recording = RecordingMaterialFactory(session=session)
    client.force_login(admin_person)

    page = client.get(f"/admin/library/material/{recording.pk}/change/").content.decode()

    assert 'type="file"' not in page


def test_deleting_a_session_deletes_its_material_files(
    session, media_root, django_capture_on_commit_callbacks
):
    recording = RecordingMaterialFactory(session=session)
    slides = SlidesMaterialFactory(session=session)
    paths = [media_root / recording.file.name, media_root / slides.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        session.delete()

    assert not Material.objects.exists()
    assert [p.exists() for p in paths] == [False, False]
