"""Issue 5's acceptance test in Chromium: a host uploads a video and a WebVTT transcript; an
absentee finds the session by a word spoken only in the transcript, opens it from the catch-up
feed, selects a transcript line and the video jumps there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kshare.library.models import Cue, Material, Transcript
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import InvitationFactory, PastSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

# The browser fixtures (Chromium, live server, axe) live beside the other browser tests.
browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe

WORD = "quokkanomics"  # spoken in the recording, written nowhere but in its transcript
CUE_START = 3.5
TRANSCRIPT = f"""WEBVTT

intro
00:00:00.500 --> 00:00:03.000
<v Hana Host>Welcome, everyone.</v>

word
00:00:03.500 --> 00:00:05.000
<v Hana Host>Today: {WORD}, the economics of marsupials.</v>
"""


def _webm(path: Path, *, seconds: int = 6, fps: int = 10, size: int = 64) -> Path:
    """A small VP8 WebM that Chromium plays (PyAV bundles FFmpeg; no ffmpeg binary needed)."""
    try:
        import av
    except ImportError:  # pragma: no cover - the dev dependencies include it
        pytest.fail("PyAV (`av`) is needed to make the test video: pip install -e '.[dev]'")
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = fps  # a key frame every second: quick, exact seeks
        for index in range(seconds * fps):
            frame = av.VideoFrame(size, size, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(index * 4) % 256]) * plane.buffer_size)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.fixture
def people(server: str):
    host = PersonFactory(email="hana@example.com", display_name="Hana Host")
    absentee = PersonFactory(email="abe@example.com", display_name="Abe Absent")
    session = PastSessionFactory(
        host=host, title="Marsupial markets", abstract="An hour about how markets work."
    )
    InvitationFactory(session=session, person=absentee, response="yes")  # …and did not come
    return host, absentee, session


def _video_position(page: Page) -> float:
    return page.evaluate("document.querySelector('video.material-player').currentTime")


def _slow_down(page: Page) -> None:
    """Play at 1/16 speed: from 0, playback alone then needs a minute to reach a later cue, so
    reaching it within the wait can only be the seek (and a busy machine has time to spare)."""
    page.evaluate("document.querySelector('video.material-player').playbackRate = 0.0625")


def _wait_until(page: Page, expression: str, *, timeout_ms: int = 10_000) -> None:
    """Poll ``expression`` from the test: ``wait_for_function`` evaluates strings with eval in
    the page, which the strict CSP (rightly) refuses once it has to poll."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_ms} ms: {expression}")


def test_absentee_finds_a_transcript_word_and_jumps_to_it(
    browser: Browser, server: str, people, tmp_path: Path, axe
):
    host, absentee, session = people
    video = _webm(tmp_path / "marsupials.webm")
    captions = tmp_path / "marsupials.vtt"
    captions.write_text(TRANSCRIPT)
    session_url = f"{server}/sessions/{session.pk}/"

    # The host uploads the recording, then its transcript.
    hosting = browser.new_context()
    page = hosting.new_page()
    sign_in(page, server, host)
    page.goto(session_url)
    page.get_by_role("link", name="Add a recording").click()
    page.get_by_label("Title").fill("Recording of the talk")
    page.locator("input[type=file]").set_input_files(str(video))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{session_url}**")
    recording = Material.objects.get(session=session, kind=Material.Kind.RECORDING)
    assert recording.content_type == "video/webm"
    page.goto(session_url)
    page.get_by_role("link", name="Add a transcript").click()
    page.get_by_label("WebVTT or SRT file").set_input_files(str(captions))
    page.get_by_role("button", name="Save the transcript").click()
    page.wait_for_url(re.compile(re.escape(session_url) + r"#transcript-\d+$"))
    transcript_anchor = f"#transcript-{Transcript.objects.get(material=recording).pk}"
    assert page.url == session_url + transcript_anchor
    expect(page.get_by_text("Transcript added: 2 lines.")).to_be_visible()
    expect(page.locator(f"{transcript_anchor} button[data-start]")).to_have_count(2)
    assert Transcript.objects.get(material=recording).source == "vtt"
    hosting.close()

    # The absentee searches for the word, which only the transcript contains…
    missing = browser.new_context()
    page = missing.new_page()
    sign_in(page, server, absentee)
    page.get_by_role("searchbox").first.fill(WORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/search/**")
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name="Marsupial markets").first).to_be_visible()
    # The transcript's own hit leads to the line that says it, beside the player.
    cue = Cue.objects.get(transcript__material=recording, position=2)
    expect(results.get_by_role("link", name="Recording of the talk")).to_have_attribute(
        "href", f"/sessions/{session.pk}/?t=3#cue-{cue.pk}"
    )

    # …opens the catch-up feed, where the missed session waits, and opens it from there.
    page.get_by_role("link", name="Catch up").click()
    item = page.locator(f"#catchup-{session.pk}")
    expect(item).to_be_visible()
    item.get_by_role("link", name="Open the materials").click()
    page.wait_for_url(f"{session_url}#materials")

    # The player is ready and at the start; selecting the line seeks the video there.
    _wait_until(
        page, "document.querySelector('video.material-player').readyState >= 1", timeout_ms=15_000
    )
    assert _video_position(page) == 0
    line = page.get_by_role("button", name=WORD)
    expect(line).to_have_attribute("aria-current", "false")
    _slow_down(page)
    line.click()
    _wait_until(
        page,
        f"Math.abs(document.querySelector('video.material-player').currentTime - {CUE_START})"
        " < 0.5",
    )
    expect(line).to_have_attribute("aria-current", "true", timeout=10_000)
    expect(line).to_have_class("cue-button cue-current")
    # The other line is not current; the focus stayed on the line that was selected.
    expect(page.get_by_role("button", name="Welcome, everyone.")).to_have_attribute(
        "aria-current", "false"
    )
    assert page.evaluate("document.activeElement.textContent").endswith(
        f"{WORD}, the economics of marsupials."
    )
    problems = axe(page)
    assert problems == "", f"axe on the session page with a transcript:\n{problems}"
    missing.close()


def test_keyboard_selects_a_line_and_the_transcript_follows_playback(
    browser: Browser, server: str, people, tmp_path: Path
):
    from kshare.library import services_transcripts, transcripts
    from kshare.library.models import Material as MaterialModel

    host, _absentee, session = people
    video = _webm(tmp_path / "clip.webm")
    material = MaterialModel.objects.create(
        session=session,
        kind=MaterialModel.Kind.RECORDING,
        title="Clip",
        filename="clip.webm",
        content_type="video/webm",
    )
    material.file.save("clip.webm", video.open("rb"))
    material.size = material.file.size
    material.save()
    services_transcripts.transcript_save(
        material=material, parsed=transcripts.parse_vtt(TRANSCRIPT)
    )
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server, host)
    page.goto(f"{server}/sessions/{session.pk}/")
    _wait_until(
        page, "document.querySelector('video.material-player').readyState >= 1", timeout_ms=15_000
    )
    first = page.get_by_role("button", name="Welcome, everyone.")
    word = page.get_by_role("button", name=WORD)
    first.focus()
    page.keyboard.press("Tab")  # the next line
    expect(word).to_be_focused()
    _slow_down(page)
    page.keyboard.press("Enter")
    _wait_until(
        page,
        f"Math.abs(document.querySelector('video.material-player').currentTime - {CUE_START})"
        " < 0.5",
    )
    expect(word).to_have_attribute("aria-current", "true", timeout=10_000)
    # Playback moves the highlight by itself: back to the first line's time, it is current.
    page.evaluate("document.querySelector('video.material-player').currentTime = 1")
    expect(first).to_have_attribute("aria-current", "true", timeout=10_000)
    expect(word).to_have_attribute("aria-current", "false")
    expect(word).to_be_focused()  # following playback never moves the focus
    # The same transcript is the player's captions track, which Chromium reads as WebVTT.
    page.evaluate("document.querySelector('video.material-player').textTracks[0].mode = 'hidden'")
    _wait_until(
        page, "document.querySelector('video.material-player').textTracks[0].cues?.length === 2"
    )
    assert page.evaluate(
        "Array.from(document.querySelector('video.material-player').textTracks[0].cues,"
        " c => [c.startTime, c.endTime, c.text])"
    ) == [
        [0.5, 3.0, "<v Hana Host>Welcome, everyone.</v>"],
        [3.5, 5.0, f"<v Hana Host>Today: {WORD}, the economics of marsupials.</v>"],
    ]
    context.close()


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 1280), ("light", 390)])
def test_transcript_pages_pass_axe_and_show_the_bad_line(
    browser: Browser, server: str, people, tmp_path: Path, axe, scheme, width
):
    from kshare.library import services_transcripts, transcripts
    from kshare.library.tests.factories import RecordingMaterialFactory

    host, _absentee, session = people
    material = RecordingMaterialFactory(session=session, title="Talk")
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, server, host)
    page.goto(f"{server}/library/materials/{material.pk}/transcript/")
    problems = {"empty form": axe(page)}
    broken = tmp_path / "broken.vtt"
    broken.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n00:00:03 --> 4\nbad\n")
    page.get_by_label("WebVTT or SRT file").set_input_files(str(broken))
    page.get_by_role("button", name="Save the transcript").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the 1 problem below.")
    expect(page.locator("#id_file_error")).to_have_text(
        "broken.vtt: Line 6: the cue timing '00:00:03 --> 4' is not valid (expected "
        "HH:MM:SS.mmm --> HH:MM:SS.mmm)."
    )
    problems["form with an error"] = axe(page)
    services_transcripts.transcript_paste(
        material=material, text="First paragraph.\n\nSecond paragraph.", language="en"
    )
    services_transcripts.transcript_save(
        material=material, parsed=transcripts.parse_vtt(TRANSCRIPT), language="en"
    )
    page.goto(f"{server}/library/materials/{material.pk}/transcript/")
    expect(page.locator(".transcript-cue")).to_have_count(2)
    problems["replace form with the transcript"] = axe(page)
    page.goto(f"{server}/sessions/{session.pk}/")
    problems["session page"] = axe(page)
    bad = {name: report for name, report in problems.items() if report}
    assert not bad, "\n".join(f"{name}:\n{report}" for name, report in bad.items())
    context.close()


def test_the_cue_list_follows_playback_without_moving_focus_or_page(
    browser: Browser, server: str, people, tmp_path: Path
):
    from kshare.library import services_transcripts, transcripts

    host, _absentee, session = people
    video = _webm(tmp_path / "clip.webm")
    material = Material.objects.create(
        session=session,
        kind=Material.Kind.RECORDING,
        title="Clip",
        filename="clip.webm",
        content_type="video/webm",
    )
    material.file.save("clip.webm", video.open("rb"))
    # 60 short cues over the 6 seconds: far more than the list shows at once.
    lines = "".join(
        f"00:00:0{i // 10}.{i % 10}00 --> 00:00:0{i // 10}.{i % 10}99\nLine number {i}\n\n"
        for i in range(60)
    )
    transcript = services_transcripts.transcript_save(
        material=material, parsed=transcripts.parse_vtt("WEBVTT\n\n" + lines)
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, host)
    page.goto(f"{server}/sessions/{session.pk}/")
    _wait_until(
        page, "document.querySelector('video.material-player').readyState >= 1", timeout_ms=15_000
    )
    box = page.locator(f"#transcript-{transcript.pk} [data-transcript-scroll]")
    assert box.evaluate("b => b.scrollHeight > b.clientHeight")
    assert box.evaluate("b => b.scrollTop") == 0
    page.get_by_role("heading", name="Clip").scroll_into_view_if_needed()
    page_scroll = page.evaluate("window.scrollY")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("document.querySelector('video.material-player').currentTime = 5.55")
    last = page.get_by_role("button", name="Line number 55")
    expect(last).to_have_attribute("aria-current", "true", timeout=10_000)
    _wait_until(
        page,
        f"(() => {{ const b = document.querySelector('#transcript-{transcript.pk} "
        "[data-transcript-scroll]'); const c = b.querySelector('[aria-current=true]')"
        ".closest('li'); return c.offsetTop >= b.scrollTop && c.offsetTop + c.offsetHeight"
        " <= b.scrollTop + b.clientHeight; })()",
        timeout_ms=10_000,
    )
    assert box.evaluate("b => b.scrollTop") > 0
    assert page.evaluate("window.scrollY") == page_scroll  # only the list scrolled
    assert page.evaluate("document.activeElement === document.body")  # focus not taken
    context.close()
