"""The transcription status in a real browser: the progress updates by itself while the worker
runs (htmx polling), and once the transcript is saved the page reloads to show it.

The job row is moved on by the test as the worker would move it (no speech recognised here:
kshare/library/tests/test_transcription.py and the end-to-end test do that).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from kshare.library import services_transcripts
from kshare.library.models import Transcription
from kshare.library.tests.factories import RecordingMaterialFactory
from kshare.library.transcripts import ParsedCue, ParsedTranscript
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe

State = Transcription.State


def _requests(page: Page, path: str) -> list[int]:
    """The statuses of the page's requests to ``path``, as they come."""
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if path in r.url else None)
    return statuses


def test_the_progress_updates_itself_and_the_transcript_appears_when_ready(
    browser: Browser, server: str, axe
):
    host = PersonFactory(email="hana@example.com", display_name="Hana Host")
    session = PastSessionFactory(host=host, title="Recommender systems")
    material = RecordingMaterialFactory(session=session, title="The talk")
    job = Transcription.objects.create(material=material, state=State.QUEUED)
    page = browser.new_context().new_page()
    sign_in(page, server, host)
    polls = _requests(page, f"/library/materials/{material.pk}/transcription/")
    page.goto(f"{server}/sessions/{session.pk}/")
    status = page.locator(f"#transcription-{material.pk}")
    expect(status).to_contain_text("Queued")
    assert axe(page) == ""

    # The worker is half-way: the next poll shows it, without a reload.
    Transcription.objects.filter(pk=job.pk).update(
        state=State.TRANSCRIBING,
        duration_ms=600_000,
        next_start_ms=300_000,
        chunks_done=10,
        working_seconds=60.0,
    )
    expect(status).to_contain_text("Transcribing: 50 % — about 1 minute left", timeout=10_000)
    expect(
        page.get_by_role("progressbar", name="Automatic transcript: progress")
    ).to_have_attribute("value", "50")
    assert axe(page) == ""

    # Done: the poll answers 286 and HX-Refresh; the reloaded page shows the transcript.
    services_transcripts.transcript_save(
        material=material,
        parsed=ParsedTranscript(source="auto", cues=[ParsedCue(0, 2000, "welcome to the talk")]),
        language="en",
        recogniser="pocketsphinx 5.1.1",
    )
    Transcription.objects.filter(pk=job.pk).update(state=State.DONE, claimed_by="")
    expect(page.locator(".transcript")).to_contain_text("welcome to the talk", timeout=10_000)
    expect(status).to_have_count(0)
    assert polls[-1] == 286
    assert set(polls[:-1]) == {200}
    page.wait_for_timeout(4_000)  # no polling after it stopped
    assert polls[-1] == 286
    assert polls.count(286) == 1
