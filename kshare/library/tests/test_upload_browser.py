"""Uploading a recording in Chromium: the progress bar, the size check before sending, the
server's type check replacing the form, and the uploaded video's ranges on the session page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from kshare.library.models import Material
from kshare.library.tests import samples
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe

# Polls the bar while the upload runs and keeps what it saw across the navigation that follows.
WATCH_PROGRESS = """() => {
  const bar = document.getElementById("upload-progress-bar");
  const seen = [];
  setInterval(() => {
    if (seen[seen.length - 1] !== bar.value) {
      seen.push(bar.value);
      sessionStorage.setItem("progress", JSON.stringify(seen));
    }
  }, 2);
}"""


@pytest.fixture
def host(server: str):
    return PersonFactory(email="hana@example.com", password=PASSWORD)


@pytest.fixture
def session(host):
    return PastSessionFactory(host=host, title="Streaming at scale")


def test_upload_shows_progress_and_the_video_plays_by_ranges(
    browser: Browser, server: str, host, session, axe
):
    page = browser.new_page()
    sign_in(page, server, host)
    page.goto(f"{server}/sessions/{session.pk}/")
    page.get_by_role("link", name="Add a recording").click()
    assert axe(page) == ""
    page.get_by_label("Title").fill("The recording")
    big = samples.MP4 + bytes(8 * 1024 * 1024)
    # A slow uplink (4 MB/s): the upload takes about two seconds, time for progress events.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": 4 * 1024 * 1024,
        },
    )
    page.get_by_label("File").set_input_files(
        {"name": "talk.mp4", "mimeType": "video/mp4", "buffer": big}
    )
    page.evaluate(WATCH_PROGRESS)

    page.get_by_role("button", name="Upload").click()

    page.wait_for_url(f"{server}/sessions/{session.pk}/#materials")
    expect(page.get_by_text("Material added.")).to_be_visible()
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('progress') || '[]')")
    assert seen[-1] == 100
    assert any(0 < value < 100 for value in seen), seen  # it moved, not only jumped
    material = Material.objects.get()
    assert (material.size, material.content_type) == (len(big), "video/mp4")
    video = page.locator(f"video#recording-{material.pk}")
    expect(video).to_have_attribute("src", f"/library/media/{material.pk}/")
    status, content_range = page.evaluate(
        """async src => {
          const r = await fetch(src, {headers: {Range: "bytes=4-7"}});
          return [r.status, r.headers.get("Content-Range")];
        }""",
        f"/library/media/{material.pk}/",
    )
    assert (status, content_range) == (206, f"bytes 4-7/{len(big)}")
    assert axe(page) == ""


def test_too_large_file_is_refused_before_sending(
    browser: Browser, server: str, host, session, settings
):
    settings.KSHARE_UPLOAD_MAX_VIDEO = 1000
    page = browser.new_page()
    sign_in(page, server, host)
    requests = []
    page.on("request", lambda r: requests.append(r) if r.method == "POST" else None)
    page.goto(f"{server}/library/sessions/{session.pk}/add/recording/")
    page.get_by_label("Title").fill("Too big")
    page.get_by_label("File").set_input_files(
        {"name": "talk.mp4", "mimeType": "video/mp4", "buffer": samples.MP4 + bytes(5000)}
    )

    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("alert")).to_have_text(
        "This file is too large: the limit is 1000 bytes (the file has 9.9 KB)."
    )
    assert requests == []


def test_a_renamed_program_is_refused_and_the_form_says_why(
    browser: Browser, server: str, host, session
):
    page = browser.new_page()
    sign_in(page, server, host)
    page.goto(f"{server}/library/sessions/{session.pk}/add/recording/")
    page.get_by_label("Title").fill("Not a video")
    page.get_by_label("File").set_input_files(
        {"name": "talk.mp4", "mimeType": "video/mp4", "buffer": samples.ELF}
    )

    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#id_file_error")).to_have_text(
        "This file is not a video or audio file: it looks like a program (ELF executable)."
    )
    expect(page.get_by_label("Title")).to_have_value("Not a video")
    assert page.url == f"{server}/library/sessions/{session.pk}/add/recording/"
    assert not Material.objects.exists()


def test_pdf_slides_are_framed_without_csp_or_frame_errors(
    browser: Browser, server: str, host, session
):
    from kshare.library.tests.factories import SlidesMaterialFactory

    slides = SlidesMaterialFactory(session=session, title="Deck")
    page = browser.new_page()
    sign_in(page, server, host)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    frames = []
    page.on("response", lambda r: frames.append(r) if "/library/media/" in r.url else None)

    page.goto(f"{server}/sessions/{session.pk}/")
    frame = page.locator("iframe.slides-frame")
    frame.scroll_into_view_if_needed()

    expect(frame).to_have_attribute("title", "Slides: Deck")
    page.wait_for_timeout(500)
    assert (frames[0].status, frames[0].headers["content-type"]) == (200, "application/pdf")
    assert frames[0].url == f"{server}/library/media/{slides.pk}/"
    assert problems == []
