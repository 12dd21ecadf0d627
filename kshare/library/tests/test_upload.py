"""Uploading recordings and slides: streamed to disk, size-limited and type-checked by content."""

import io
import tracemalloc

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from kshare.library import sniff, uploads, views
from kshare.library.models import Material
from kshare.library.tests import samples
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
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


def _upload(client, session, kind, data: bytes, name: str, **extra):
    file = io.BytesIO(data)
    file.name = name
    return client.post(
        f"/library/sessions/{session.pk}/add/{kind}/", {"title": "The talk", "file": file, **extra}
    )


def _stored_files(media_root) -> list:
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


def test_host_uploads_a_recording(host_client, session, host, media_root):
    response = _upload(host_client, session, "recording", samples.MP4, "My Talk.MOV")

    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/#materials"
    material = Material.objects.get()
    assert (material.kind, material.title, material.filename) == (
        "recording",
        "The talk",
        "My Talk.MOV",
    )
    assert (material.content_type, material.size, material.added_by) == (
        "video/mp4",
        len(samples.MP4),
        host,
    )
    # Stored under the sniffed type's extension, not the uploader's name.
    assert material.file.name.startswith(f"materials/{session.pk}/")
    assert material.file.name.endswith(".mp4")
    assert (media_root / material.file.name).read_bytes() == samples.MP4


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (samples.WEBM, "a.webm", "video/webm"),
        (samples.MP3_ID3, "a.bin", "audio/mpeg"),
        (samples.WAV, "a.wav", "audio/wav"),
        (samples.M4A, "a.m4a", "audio/mp4"),
        (samples.OGG_AUDIO, "a.ogg", "audio/ogg"),
    ],
)
def test_audio_and_other_video_formats_are_recordings(
    host_client, session, data, name, content_type
):
    assert _upload(host_client, session, "recording", data, name).status_code == 302
    assert Material.objects.get().content_type == content_type


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (samples.PDF, "deck.pdf", "application/pdf"),
        (samples.PPTX, "deck.pptx", sniff.PPTX.content_type),
        (samples.ODP, "deck.odp", "application/vnd.oasis.opendocument.presentation"),
        (samples.KEY, "deck.key", "application/x-iwork-keynote-sffkey"),
    ],
)  # fmt: skip
def test_slides_formats(host_client, session, data, name, content_type, media_root):
    assert _upload(host_client, session, "slides", data, name).status_code == 302
    material = Material.objects.get()
    assert (material.kind, material.content_type, material.filename) == (
        "slides",
        content_type,
        name,
    )
    assert (media_root / material.file.name).read_bytes() == data


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (samples.ELF, "a program (ELF executable)"),
        (samples.PE, "a program (Windows executable)"),
        (samples.SHEBANG, "a script (starts with #!)"),
        (samples.PDF, "a PDF document"),
        (samples.PPTX, "a PowerPoint presentation"),
    ],
)
def test_renamed_executable_as_mp4_is_rejected(host_client, session, media_root, data, label):
    response = _upload(host_client, session, "recording", data, "talk.mp4")

    assert response.status_code == 400
    assert (
        f"This file is not a video or audio file: it looks like {label}."
        in response.content.decode()
    )
    assert 'value="The talk"' in response.content.decode()  # what was typed is kept
    assert not Material.objects.exists()
    assert _stored_files(media_root) == []


def test_a_large_executable_is_refused_while_streaming(host_client, session, monkeypatch):
    """The first bytes decide: the rest of a renamed program is never written to disk."""
    handlers = _recording_handlers(monkeypatch)

    response = _upload(host_client, session, "recording", samples.ELF + bytes(3_000_000), "x.mp4")

    assert response.status_code == 400
    assert handlers[0].upload is None
    assert handlers[0].received <= uploads.CHUNK_SIZE  # stopped at the first chunk


def test_slides_that_are_not_slides_are_rejected(host_client, session):
    response = _upload(host_client, session, "slides", samples.DOCX, "deck.pptx")

    assert response.status_code == 400
    assert (
        "This file is not a slide deck (PDF, PowerPoint, OpenDocument or Keynote): "
        "it looks like a zip archive."
    ) in response.content.decode()
    assert not Material.objects.exists()


def test_too_large_file_is_stopped_as_soon_as_the_limit_is_passed(
    host_client, session, settings, media_root, monkeypatch
):
    settings.KSHARE_UPLOAD_MAX_VIDEO = 300_000
    handlers = _recording_handlers(monkeypatch)

    response = _upload(host_client, session, "recording", samples.MP4 + bytes(2_000_000), "big.mp4")

    assert response.status_code == 400
    assert "This file is too large: the limit is 293.0\xa0KB." in response.content.decode()
    # The handler stopped writing at the chunk that passed the limit (the rest was skipped).
    assert 300_000 < handlers[0].received <= 300_000 + uploads.CHUNK_SIZE
    assert not Material.objects.exists()
    assert _stored_files(media_root) == []


def test_other_uploads_have_their_own_limit(host_client, session, settings):
    settings.KSHARE_UPLOAD_MAX_OTHER = 100

    response = _upload(host_client, session, "slides", samples.PDF + bytes(200), "deck.pdf")

    assert response.status_code == 400
    assert "This file is too large: the limit is 100\xa0bytes." in response.content.decode()


def test_the_form_shows_the_limit_for_the_browser(host_client, session, settings):
    settings.KSHARE_UPLOAD_MAX_VIDEO = 4 * 1024**3

    html = host_client.get(f"/library/sessions/{session.pk}/add/recording/").content.decode()

    assert 'data-max-bytes="4294967296"' in html
    assert "up to 4.0\xa0GB" in html
    assert '<progress id="upload-progress-bar" max="100" value="0">0%</progress>' in html
    assert '<label for="upload-progress-bar">Upload progress</label>' in html
    assert "library/upload.js" in html
    assert 'enctype="multipart/form-data"' in html


def test_empty_file_is_rejected(host_client, session):
    response = _upload(host_client, session, "recording", b"", "empty.mp4")

    assert response.status_code == 400
    assert not Material.objects.exists()


def test_recording_by_link(host_client, session):
    response = host_client.post(
        f"/library/sessions/{session.pk}/add/recording/",
        {"title": "On the video site", "url": "https://video.example.com/watch/1"},
    )

    assert response.status_code == 302
    material = Material.objects.get()
    assert (material.kind, material.url, material.file.name) == (
        "recording",
        "https://video.example.com/watch/1",
        "",
    )


def test_recording_needs_a_file_or_a_link_not_both(host_client, session):
    neither = host_client.post(f"/library/sessions/{session.pk}/add/recording/", {"title": "T"})
    both = _upload(host_client, session, "recording", samples.MP4, "a.mp4", url="https://e.com/v")

    message = "Upload a recording file or give a link to it (one of the two)."
    assert (neither.status_code, both.status_code) == (400, 400)
    assert message in neither.content.decode()
    assert message in both.content.decode()
    assert not Material.objects.exists()


def test_members_who_may_not_edit_cannot_upload(client, session, media_root):
    client.force_login(PersonFactory())

    response = _upload(client, session, "recording", samples.MP4, "a.mp4")

    assert response.status_code == 403
    assert not Material.objects.exists()
    assert _stored_files(media_root) == []


def test_organisers_of_the_programme_may_upload(client, media_root):
    organiser = PersonFactory(role="organiser")
    programme = ProgrammeFactory()
    programme.organisers.add(organiser)
    session = PastSessionFactory(programme=programme)
    client.force_login(organiser)

    assert _upload(client, session, "slides", samples.PDF, "d.pdf").status_code == 302


def test_invisible_session_is_404(client, media_root):
    session = PastSessionFactory(visibility=Visibility.INVITE_ONLY)
    client.force_login(PersonFactory())

    assert _upload(client, session, "recording", samples.MP4, "a.mp4").status_code == 404
    assert client.get(f"/library/sessions/{session.pk}/add/notes/").status_code == 404
    assert _stored_files(media_root) == []


def test_unknown_kind_is_404(host_client, session):
    assert host_client.get(f"/library/sessions/{session.pk}/add/video/").status_code == 404


def test_csrf_is_still_checked(client, host, session, media_root):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(host)

    response = _upload(csrf_client, session, "recording", samples.MP4, "a.mp4")

    assert response.status_code == 403
    assert not Material.objects.exists()
    assert _stored_files(media_root) == []


def _recording_handlers(monkeypatch) -> list:
    """Keep every upload handler the view makes, to look at afterwards."""
    made = []

    class Recording(uploads.MaterialUploadHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(views, "MaterialUploadHandler", Recording)
    return made


class GeneratedBody(io.RawIOBase):
    """A multipart body produced while it is read: the test never holds the file either.

    The file is an MP4 header followed by zeros.
    """

    def __init__(self, boundary: bytes, size: int) -> None:
        head = (
            b"--" + boundary + b"\r\n"
            b'Content-Disposition: form-data; name="title"\r\n\r\nBig talk\r\n'
            b"--" + boundary + b"\r\n"
            b'Content-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            b"Content-Type: video/mp4\r\n\r\n"
        ) + samples.MP4
        tail = b"\r\n--" + boundary + b"--\r\n"
        zeros = size - len(samples.MP4)
        self.parts = [(head, len(head)), (None, zeros), (tail, len(tail))]
        self.length = len(head) + zeros + len(tail)
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        offset = self.position
        for data, length in self.parts:
            if offset < length:
                n = min(len(buffer), length - offset)
                buffer[:n] = bytes(n) if data is None else data[offset : offset + n]
                self.position += n
                return n
            offset -= length
        return 0


def test_a_50_mb_upload_streams_through_one_chunk_at_a_time(host, session, settings, monkeypatch):
    """Through the real WSGI handler and middleware, with the body generated while it is read."""
    from django.conf import settings as django_settings
    from django.contrib.sessions.backends.db import SessionStore

    size = 50 * 1024 * 1024
    assert size > 10 * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    handlers = _recording_handlers(monkeypatch)
    store = SessionStore()
    store["_auth_user_id"] = str(host.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = host.get_session_auth_hash()
    store.create()
    boundary = b"kshareboundary1234"
    body = GeneratedBody(boundary, size)
    secret = "a" * 32
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/library/sessions/{session.pk}/add/recording/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BufferedReader(body, buffer_size=65536),
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary.decode()}",
        "CONTENT_LENGTH": str(body.length),
        "HTTP_COOKIE": f"sessionid={store.session_key}; csrftoken={secret}",
        "HTTP_X_CSRFTOKEN": secret,
    }
    statuses = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    tracemalloc.start()
    try:
        response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        response.close()  # sends request_finished
    finally:
        tracemalloc.stop()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    assert statuses == ["302 Found"]
    material = Material.objects.get()
    assert (material.size, material.content_type) == (size, "video/mp4")
    handler = handlers[0]
    assert handler.received == size
    assert handler.largest_chunk == uploads.CHUNK_SIZE  # one chunk at a time
    # Everything Python allocated during the request, at its peak: a few chunks, not 50 MB.
    assert peak < 8 * uploads.CHUNK_SIZE, f"peak {peak:,} bytes"


def test_the_progress_script_gets_201_with_the_address(host_client, session):
    file = io.BytesIO(samples.MP4)
    file.name = "a.mp4"

    response = host_client.post(
        f"/library/sessions/{session.pk}/add/recording/",
        {"title": "T", "file": file},
        headers={"X-Upload": "progress"},
    )

    assert response.status_code == 201
    assert response["Location"] == f"/sessions/{session.pk}/#materials"
    assert Material.objects.count() == 1
