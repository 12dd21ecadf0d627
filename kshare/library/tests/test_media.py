"""Serving material files: HTTP ranges, HEAD, headers and permissions on every request."""

import pytest
from django.core.files.base import ContentFile

from kshare.library.delivery import MEDIA_CHUNK_SIZE, Unsatisfiable, parse_range
from kshare.library.tests.factories import (
    MP4_HEADER,
    RecordingMaterialFactory,
    SlidesMaterialFactory,
)
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

# 600 KiB: more than two media chunks, so a range crosses chunk boundaries.
BODY = MP4_HEADER + bytes(i % 251 for i in range(600 * 1024 - len(MP4_HEADER)))
SIZE = len(BODY)


@pytest.fixture
def recording(db):
    return RecordingMaterialFactory(
        session=PastSessionFactory(), file=ContentFile(BODY, name="talk.mp4"), size=SIZE
    )


def _url(material) -> str:
    return f"/library/media/{material.pk}/"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_whole_file_is_streamed_with_headers(member_client, recording):
    response = member_client.get(_url(recording))

    assert response.status_code == 200
    assert response.streaming
    chunks = list(response.streaming_content)
    assert max(len(chunk) for chunk in chunks) == MEDIA_CHUNK_SIZE
    assert b"".join(chunks) == BODY
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == 'inline; filename="talk.mp4"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Range" not in response


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, SIZE - 1),  # open-ended
        ("bytes=-500", SIZE - 500, SIZE - 1),  # suffix
        ("bytes=262000-262300", 262000, 262300),  # across a chunk boundary
        (f"bytes=10-{SIZE + 1000}", 10, SIZE - 1),  # last beyond the end: clipped
        (f"bytes=-{SIZE * 2}", 0, SIZE - 1),  # suffix longer than the file: all of it
        ("bytes=5-5", 5, 5),
        ("bytes=0-9, 20-29", 0, 9),  # multi-range: the first range only
    ],
)
def test_range_is_answered_with_206(member_client, recording, header, first, last):
    response = member_client.get(_url(recording), headers={"Range": header})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert _body(response) == BODY[first : last + 1]


@pytest.mark.parametrize(
    "header",
    [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 10}", "bytes=-0", "bytes=" + "9" * 30 + "-"],
)
def test_unsatisfiable_range_is_416(member_client, recording, header):
    response = member_client.get(_url(recording), headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize("header", ["bytes=abc", "items=0-10", "bytes=10-5", "bytes=-", "0-10"])
def test_malformed_range_is_ignored(member_client, recording, header):
    response = member_client.get(_url(recording), headers={"Range": header})

    assert response.status_code == 200
    assert _body(response) == BODY


def test_if_range_with_a_stale_etag_sends_everything(member_client, recording):
    etag = member_client.head(_url(recording))["ETag"]

    fresh = member_client.get(_url(recording), headers={"Range": "bytes=0-9", "If-Range": etag})
    stale = member_client.get(_url(recording), headers={"Range": "bytes=0-9", "If-Range": '"x"'})

    assert (fresh.status_code, _body(fresh)) == (206, BODY[:10])
    assert (stale.status_code, len(_body(stale))) == (200, SIZE)


def test_head_has_the_headers_and_no_body(member_client, recording):
    response = member_client.head(_url(recording), headers={"Range": "bytes=100-199"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{SIZE}"
    assert response["Content-Length"] == "100"
    assert _body(response) == b""
    whole = member_client.head(_url(recording))
    assert (whole.status_code, whole["Content-Length"]) == (200, str(SIZE))


def test_if_none_match_is_304(member_client, recording):
    etag = member_client.get(_url(recording))["ETag"]

    assert member_client.get(_url(recording), headers={"If-None-Match": etag}).status_code == 304


def test_pdf_is_inline_and_may_be_framed_by_our_pages(member_client):
    slides = SlidesMaterialFactory(session=PastSessionFactory())

    response = member_client.get(_url(slides))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="slides.pdf"'
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_other_slides_and_download_links_are_attachments(member_client, recording):
    pptx = SlidesMaterialFactory(
        session=PastSessionFactory(),
        filename="deck.pptx",
        content_type="application/vnd.openxmlformats-officedocument.presentationml.presentation",
    )

    assert member_client.get(_url(pptx))["Content-Disposition"] == (
        'attachment; filename="deck.pptx"'
    )
    assert member_client.get(_url(recording) + "?download=1")["Content-Disposition"] == (
        'attachment; filename="talk.mp4"'
    )


def test_name_suffix_url_serves_the_same_file(member_client, recording):
    response = member_client.get(f"{_url(recording)}anything.mp4", headers={"Range": "bytes=0-3"})

    assert _body(response) == BODY[:4]


def test_invite_only_session_recording_is_404_to_others_on_every_request(client, recording):
    recording.session.visibility = Visibility.INVITE_ONLY
    recording.session.save()
    stranger, host = PersonFactory(), recording.session.host_links.get().person

    client.force_login(host)
    assert client.get(_url(recording), headers={"Range": "bytes=0-9"}).status_code == 206
    client.force_login(stranger)
    # A guessed URL, a range, a HEAD, the named form: all look like a missing file.
    assert client.get(_url(recording)).status_code == 404
    assert client.get(_url(recording), headers={"Range": "bytes=0-9"}).status_code == 404
    assert client.head(_url(recording)).status_code == 404
    assert client.get(f"{_url(recording)}talk.mp4").status_code == 404
    assert client.get("/library/media/999999/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, recording):
    response = client.get(_url(recording))

    assert response.status_code == 302
    assert response["Location"] == f"/signin/?next={_url(recording)}"


def test_deleted_material_and_link_materials_are_404(member_client, recording):
    from kshare.library import services
    from kshare.library.tests.factories import LinkMaterialFactory

    link = LinkMaterialFactory(session=recording.session)
    url = _url(recording)
    services.material_delete(material=recording)

    assert member_client.get(url).status_code == 404
    assert member_client.get(_url(link)).status_code == 404


def test_a_file_missing_from_storage_is_404(member_client, recording, media_root):
    (media_root / recording.file.name).unlink()

    assert member_client.get(_url(recording)).status_code == 404


def test_post_is_not_allowed(member_client, recording):
    assert member_client.post(_url(recording)).status_code == 405


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", None),
        ("bytes=0-0", (0, 0)),
        ("BYTES = 2-4", (2, 4)),
        ("bytes=3-", (3, 9)),
        ("bytes=-3", (7, 9)),
        ("bytes=,", None),
        ("bytes=1-2-3", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 10) == expected


def test_parse_range_of_an_empty_file_is_unsatisfiable():
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=0-", 0)
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-1", 0)


def test_a_type_the_sniffer_never_gives_is_served_as_a_download(member_client, recording):
    recording.content_type = "text/html"
    recording.save()

    response = member_client.get(_url(recording))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="talk.mp4"'


# -- behind nginx: X-Accel-Redirect (kshare/web/tests/test_nginx.py plays it through nginx) ------


def test_with_accel_redirect_the_file_is_handed_to_nginx_after_the_permission_check(
    member_client, recording, settings
):
    settings.KSHARE_MEDIA_ACCEL_REDIRECT = "/_protected_media/"

    response = member_client.get(_url(recording), headers={"Range": "bytes=0-9"})

    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/_protected_media/{recording.file.name}"
    assert recording.file.name.startswith(f"materials/{recording.session_id}/") is True
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"] == 'inline; filename="talk.mp4"'
    assert response["Cache-Control"] == "private, no-cache"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Range" not in response


def test_with_accel_redirect_an_invisible_recording_is_still_404_and_names_no_file(
    client, recording, settings
):
    settings.KSHARE_MEDIA_ACCEL_REDIRECT = "/_protected_media/"
    recording.session.visibility = Visibility.INVITE_ONLY
    recording.session.save()
    client.force_login(PersonFactory())

    response = client.get(_url(recording))

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_a_stored_name_nginx_would_misread_is_streamed_by_kshare(
    member_client, recording, settings, media_root
):
    settings.KSHARE_MEDIA_ACCEL_REDIRECT = "/_protected_media/"
    odd = f"materials/{recording.session_id}/talk é.mp4"
    (media_root / odd).write_bytes(BODY)
    recording.file.name = odd
    recording.save()

    response = member_client.get(_url(recording), headers={"Range": "bytes=0-9"})

    assert (response.status_code, _body(response)) == (206, BODY[:10])
    assert "X-Accel-Redirect" not in response
