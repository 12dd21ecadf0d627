"""Materials in an S3-compatible bucket, against a real S3 API server (moto's server mode) on
loopback: upload through the real view (in parts), playback by a redirect to a signed URL that
the bucket answers with ranges, streaming through kshare when so configured, deletion after
commit, and a private bucket."""

from __future__ import annotations

import io
import tracemalloc
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError
from django.core.files.uploadedfile import TemporaryUploadedFile

from kshare import config
from kshare.library import services
from kshare.library.models import Material
from kshare.library.sniff import sniff_head
from kshare.library.tests import samples
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
# A recording with distinct bytes at every offset, so that a wrong range cannot pass.
RECORDING = samples.MP4 + bytes(i % 251 for i in range(300_000))


@pytest.fixture
def host(db):
    return PersonFactory(email="host@example.com")


@pytest.fixture
def session(host):
    return PastSessionFactory(host=host, title="Object storage")


@pytest.fixture
def host_client(client, host):
    client.force_login(host)
    return client


def _upload(client, session, data: bytes, name: str = "talk.mp4"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(
        f"/library/sessions/{session.pk}/add/recording/", {"title": "The talk", "file": file}
    )


def _get(url: str, **headers: str):
    """A plain HTTP GET (no kshare in between): status, headers (any case), body."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our loopback server
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_the_environment_configures_the_bucket_and_the_csp(s3_bucket, s3_server):
    storage = config.media_storage()
    assert storage["BACKEND"] == "kshare.library.object_storage.MediaS3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        s3_bucket,
        s3_server.endpoint,
        "eu-central-1",
    )
    assert (options["addressing_style"], options["querystring_expire"]) == ("path", 7200)
    assert (options["access_key"], options["secret_key"]) == ("kshare-test", "kshare-test-secret")
    assert config.media_delivery(storage) == "redirect"
    csp = config.csp_with_media(
        {"default-src": ["'self'"], "media-src": ["'self'"]}, storage=storage, delivery="redirect"
    )
    assert csp["media-src"] == ["'self'", s3_server.endpoint]
    assert csp["frame-src"] == ["'self'", s3_server.endpoint]


def test_upload_through_the_view_lands_in_the_bucket(host_client, session, s3_media, s3_server):
    response = _upload(host_client, session, RECORDING)

    assert response.status_code == 302
    material = Material.objects.get()
    assert (material.content_type, material.size) == ("video/mp4", len(RECORDING))
    stored = s3_server.client().get_object(Bucket=s3_media.bucket_name, Key=material.file.name)
    assert stored["Body"].read() == RECORDING


def test_playback_redirects_to_a_signed_url_the_bucket_answers_with_ranges(
    host_client, session, s3_media, s3_server
):
    _upload(host_client, session, RECORDING)
    material = Material.objects.get()

    response = host_client.get(
        f"/library/media/{material.pk}/", headers={"Range": "bytes=1000-1999"}
    )

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == s3_server.endpoint
    assert parts.path == f"/{s3_media.bucket_name}/{material.file.name}"
    assert "X-Amz-Signature=" in parts.query
    assert "X-Amz-Expires=7200" in parts.query

    status, headers, body = _get(location, Range="bytes=1000-1999")
    assert (status, headers["Content-Range"], body) == (
        206,
        f"bytes 1000-1999/{len(RECORDING)}",
        RECORDING[1000:2000],
    )
    # The bucket answers as kshare would: the sniffed type, played inline.
    assert (headers["Content-Type"], headers["Content-Disposition"]) == (
        "video/mp4",
        'inline; filename="talk.mp4"',
    )
    # A seek: another range of the same signed URL.
    status, _, body = _get(location, Range="bytes=-16")
    assert (status, body) == (206, RECORDING[-16:])


def test_download_asks_the_bucket_for_an_attachment(host_client, session, s3_media):
    _upload(host_client, session, RECORDING)
    material = Material.objects.get()

    location = host_client.get(f"/library/media/{material.pk}/?download=1")["Location"]

    status, headers, body = _get(location)
    assert (status, headers["Content-Disposition"], body) == (
        200,
        'attachment; filename="talk.mp4"',
        RECORDING,
    )


def test_the_permission_is_checked_before_any_url_is_signed(client, host, s3_media):
    private = PastSessionFactory(host=host, visibility=Visibility.INVITE_ONLY)
    client.force_login(host)
    _upload(client, private, RECORDING)
    material = Material.objects.get()
    client.force_login(PersonFactory(email="outsider@example.com"))

    response = client.get(f"/library/media/{material.pk}/")

    assert (response.status_code, response.has_header("Location")) == (404, False)


def test_the_bucket_is_private_an_unsigned_get_is_refused(
    host_client, session, s3_media, s3_server
):
    _upload(host_client, session, RECORDING)
    material = Material.objects.get()

    status, _, body = _get(f"{s3_server.endpoint}/{s3_media.bucket_name}/{material.file.name}")

    assert status == 403
    assert body != RECORDING


def test_deleting_the_material_deletes_the_object_after_commit(
    host_client, session, s3_media, s3_server, django_capture_on_commit_callbacks
):
    _upload(host_client, session, RECORDING)
    material = Material.objects.get()
    client = s3_server.client()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = host_client.post(f"/library/materials/{material.pk}/delete/")
    assert response.status_code == 302
    # Not before the commit: a rolled-back deletion keeps its file.
    assert client.head_object(Bucket=s3_media.bucket_name, Key=material.file.name)
    for callback in callbacks:
        callback()

    with pytest.raises(ClientError) as missing:
        client.head_object(Bucket=s3_media.bucket_name, Key=material.file.name)
    assert missing.value.response["Error"]["Code"] == "404"
    assert Material.objects.count() == 0


def test_stream_delivery_reads_ranges_from_the_bucket_through_kshare(
    host_client, session, s3_media, settings
):
    settings.KSHARE_MEDIA_DELIVERY = "stream"
    _upload(host_client, session, RECORDING)
    material = Material.objects.get()

    response = host_client.get(f"/library/media/{material.pk}/", headers={"Range": "bytes=5-24"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 5-24/{len(RECORDING)}"
    assert b"".join(response.streaming_content) == RECORDING[5:25]
    whole = host_client.get(f"/library/media/{material.pk}/")
    assert (whole.status_code, b"".join(whole.streaming_content)) == (200, RECORDING)
    beyond = host_client.get(
        f"/library/media/{material.pk}/", headers={"Range": f"bytes={len(RECORDING)}-"}
    )
    assert (beyond.status_code, beyond["Content-Range"]) == (416, f"bytes */{len(RECORDING)}")


def test_stream_delivery_of_an_object_missing_from_the_bucket_is_a_404(
    host_client, session, s3_media, s3_server, settings
):
    settings.KSHARE_MEDIA_DELIVERY = "stream"
    _upload(host_client, session, RECORDING)
    material = Material.objects.get()
    s3_server.client().delete_object(Bucket=s3_media.bucket_name, Key=material.file.name)

    assert host_client.get(f"/library/media/{material.pk}/").status_code == 404


def _temporary_upload(size: int) -> TemporaryUploadedFile:
    upload = TemporaryUploadedFile("big.mp4", "video/mp4", size, None)
    upload.write(samples.MP4)
    block = bytes(range(256)) * 4096  # 1 MiB
    written = len(samples.MP4)
    while written < size:
        piece = block[: size - written]
        upload.write(piece)
        written += len(piece)
    upload.seek(0)
    return upload


def _peak_memory_of_an_upload(*, session, host, size: int) -> tuple[Material, int]:
    upload = _temporary_upload(size)
    tracemalloc.start()
    try:
        material = services.material_add_file(
            session=session,
            kind="recording",
            title="Big",
            upload=upload,
            sniffed=sniff_head(samples.MP4),
            filename="big.mp4",
            by=host,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        upload.close()
    return material, peak


def test_a_large_upload_goes_in_parts_with_flat_memory(
    session, host, s3_server, s3_bucket, settings
):
    """Parts of 5 MiB, at most 2 read ahead: the bucket sees multipart uploads (an ETag ending
    in -<parts>), and the memory an upload takes does not grow with the file (16 vs 48 MiB)."""
    storage = config.media_storage()
    storage["OPTIONS"].update(part_size=5 * MIB, max_parts_in_memory=2)
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    # The first request loads botocore's models (~12 MiB, once per process): not the upload's.
    _peak_memory_of_an_upload(session=session, host=host, size=MIB)

    small, small_peak = _peak_memory_of_an_upload(session=session, host=host, size=16 * MIB)
    large, large_peak = _peak_memory_of_an_upload(session=session, host=host, size=48 * MIB)

    client = s3_server.client()
    small_head = client.head_object(Bucket=s3_bucket, Key=small.file.name)
    large_head = client.head_object(Bucket=s3_bucket, Key=large.file.name)
    assert (small_head["ContentLength"], large_head["ContentLength"]) == (16 * MIB, 48 * MIB)
    assert small_head["ETag"].strip('"').endswith("-4")  # 3 parts of 5 MiB and the rest
    assert large_head["ETag"].strip('"').endswith("-10")
    # A few parts in flight, never the file: 3x the file, not 3x the memory.
    peaks = f"peaks {small_peak / MIB:.1f} and {large_peak / MIB:.1f} MiB"
    assert large_peak < 24 * MIB, peaks
    assert large_peak - small_peak < 5 * MIB, peaks
