"""In Chromium: a search hit in a transcript opens the session at the spoken line (current, the
player set to its start, not playing), and the chapter list beside the player seeks."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from kshare.library import services_transcripts, transcripts
from kshare.library.models import Cue, Material
from kshare.library.tests.chapter_samples import three_topics_vtt
from kshare.library.tests.test_library_browser import (
    _slow_down,
    _video_position,
    _wait_until,
    _webm,
)
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe

PLAYER = "document.querySelector('video.material-player')"


def test_a_search_hit_opens_the_spoken_line_and_chapters_seek(
    browser: Browser, server: str, tmp_path: Path, axe
):
    host = PersonFactory(email="hana@example.com", display_name="Hana Host")
    reader = PersonFactory(email="rita@example.com", display_name="Rita Reader")
    session = PastSessionFactory(host=host, title="Shipping recommenders")
    material = Material.objects.create(
        session=session,
        kind=Material.Kind.RECORDING,
        title="Recording of the talk",
        filename="talk.webm",
        content_type="video/webm",
    )
    # 6 min 20 s at two frames a second, a key frame every second: the transcript's length.
    video = _webm(tmp_path / "talk.webm", seconds=380, fps=2)
    material.file.save("talk.webm", video.open("rb"))
    material.size = material.file.size
    material.save()
    services_transcripts.transcript_save(
        material=material, parsed=transcripts.parse_vtt(three_topics_vtt()), language="en"
    )
    # The first line about deploying (cue 51, at 4:10) is the first to say "kubernetes".
    cue = Cue.objects.get(transcript__material=material, position=51)
    assert (cue.start_ms, "kubernetes" in cue.text) == (250_000, True)

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server, reader)
    page.goto(f"{server}/search/?q=kubernetes")
    hit = page.locator("#search-results").get_by_role("link", name="Recording of the talk")
    expect(hit).to_have_attribute("href", f"/sessions/{session.pk}/?t=250#cue-{cue.pk}")
    hit.click()
    page.wait_for_url(f"{server}/sessions/{session.pk}/?t=250#cue-{cue.pk}")

    # The line is current and in view in its list; the player waits at its start, paused.
    line = page.locator(f"#cue-{cue.pk} button")
    expect(line).to_have_attribute("aria-current", "true")
    _wait_until(page, f"{PLAYER}.readyState >= 1", timeout_ms=15_000)
    _wait_until(page, f"{PLAYER}.currentTime === 250")
    assert page.evaluate(f"{PLAYER}.paused") is True
    assert page.evaluate(
        f"""(() => {{
          const box = document.querySelector('#cue-{cue.pk}').closest('[data-transcript-scroll]');
          const item = document.querySelector('#cue-{cue.pk}');
          return item.offsetTop >= box.scrollTop
            && item.offsetTop + item.offsetHeight <= box.scrollTop + box.clientHeight;
        }})()"""
    )
    chapters = page.get_by_role("navigation", name="Chapters")
    deploying = chapters.get_by_role("button", name="Deployment · kubernetes · rollout")
    evaluating = chapters.get_by_role("button", name="Evaluation · holdout · precision")
    expect(deploying).to_have_attribute("aria-current", "true")
    expect(evaluating).to_have_attribute("aria-current", "false")
    assert _video_position(page) == 250

    # Selecting a chapter plays the recording from its start.
    _slow_down(page)
    evaluating.click()
    _wait_until(page, f"Math.abs({PLAYER}.currentTime - 100) < 0.5")
    expect(evaluating).to_have_attribute("aria-current", "true", timeout=10_000)
    expect(deploying).to_have_attribute("aria-current", "false")
    # The chapters track is the player's too.
    _wait_until(
        page,
        f"Array.from({PLAYER}.textTracks).some(t => t.kind === 'chapters')",
    )
    problems = axe(page)
    assert problems == "", f"axe on the session page with chapters:\n{problems}"
    context.close()

    # Without JavaScript the address still scrolls the cue list to the line and marks it.
    plain = browser.new_context(java_script_enabled=False)
    page = plain.new_page()
    sign_in(page, server, reader)
    page.goto(f"{server}/sessions/{session.pk}/?t=250#cue-{cue.pk}")
    box = page.locator(f"#transcript-{cue.transcript_id} [data-transcript-scroll]").bounding_box()
    item = page.locator(f"#cue-{cue.pk}").bounding_box()
    assert box is not None and item is not None
    assert box["y"] <= item["y"] and item["y"] + item["height"] <= box["y"] + box["height"]
    expect(page.locator(".transcript-cue:target")).to_have_attribute("id", f"cue-{cue.pk}")
    plain.close()
