"""The session page's player with the recording in a bucket (a real S3 API server on loopback):
Chromium follows kshare's redirect to the signed URL (the Content-Security-Policy allows the
bucket), plays by ranges from the bucket, and seeks."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.files import File
from playwright.sync_api import Browser

from kshare.library import services
from kshare.library.sniff import sniff_head
from kshare.library.tests.test_library_browser import _wait_until, _webm
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server

PLAYER = "document.querySelector('video.material-player')"


def test_the_player_seeks_in_a_recording_served_from_the_bucket(
    browser: Browser, server: str, s3_media, s3_server, tmp_path
):
    host = PersonFactory(email="hana@example.com", password=PASSWORD)
    session = PastSessionFactory(host=host, title="From the bucket")
    video = _webm(tmp_path / "talk.webm", seconds=6)
    with video.open("rb") as handle:
        material = services.material_add_file(
            session=session,
            kind="recording",
            title="The recording",
            upload=File(handle, name="talk.webm"),
            sniffed=sniff_head(video.read_bytes()[:4096]),
            filename="talk.webm",
            by=host,
        )
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    answers: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.url, r.status)) if r.url.startswith(s3_server.endpoint) else None
        ),
    )
    sign_in(page, server, host)

    page.goto(f"{server}/sessions/{session.pk}/")
    _wait_until(page, f"{PLAYER}.readyState >= 1 && {PLAYER}.duration > 5")
    page.evaluate(f"{PLAYER}.currentTime = 4.2")
    _wait_until(page, f"!{PLAYER}.seeking && Math.abs({PLAYER}.currentTime - 4.2) < 0.05")

    assert problems == []
    # Every byte came from the bucket through the signed URL, in ranges (206).
    assert answers, "the player fetched nothing from the bucket"
    for url, status in answers:
        parts = urlsplit(url)
        assert parts.path == f"/{s3_media.bucket_name}/{material.file.name}"
        assert "X-Amz-Signature=" in parts.query
        assert status == 206
