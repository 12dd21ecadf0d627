"""Issue 19's acceptance test in Chromium: a host uploads a short spoken recording (Festival's HTS
voice, as Ogg Opus) through the form, real `kshare worker` processes transcribe it while the
session page shows the progress by itself, and a member finds a spoken word with search and
lands on its cue, the player set to the cue's start.

Nothing is faked between the browser and the recogniser: the live server queues the job in the
database (django-tasks-db, as in production), the workers are separate processes on the same test
database (SQLite file or PostgreSQL) and media folder, and pocketsphinx recognises the speech
with the model its wheel carries. The progress is shown deterministically: a first worker runs
one step of the job (one second's work) and exits, so the page has a half-done job to show, and
a second worker resumes it from its last chunk. The word searched for is one pocketsphinx
recognises here with margin, not a domain word it misses ("recommender systems" comes out as
"recommend assistance").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import Browser, Page, expect

from kshare.library.models import Cue, Material, Transcript, Transcription
from kshare.library.speech.recognisers import recogniser_for
from kshare.library.tests.media_samples import encode_audio
from kshare.library.tests.speech_samples import RATE, spoken_wav, wav_samples
from kshare.library.transcription import session_vocabulary, transcription_progress
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import InvitationFactory, PastSessionFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import sign_in
from kshare.web.tests.workers import DATABASE_TASKS, Workers, wait_for

pytestmark = pytest.mark.browser

# The browser fixtures (Chromium, live server, axe) live beside the other browser tests.
browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe

# About 19 seconds of speech: five chunks, so that one second's step cannot finish the job even
# on a much faster machine. pocketsphinx's generic model hears "coffee", "kitchen", "espresso" and
# "cappuccino" here every time (whole, in 5 s pieces, after Opus, with the vocabulary adapted to
# the session); "cappuccino" is the word searched for: nowhere else on the site, so the hit can
# only come from the recording.
SPOKEN = (
    "Welcome to our session about offline evaluation of recommender systems. "
    "Before we ship a new model, we measure it on last month's data. "
    "Think of the coffee machine in the kitchen: people who drink espresso also drink cappuccino. "
    "We compare the predictions with what people really chose."
)
WORD = "cappuccino"
TITLE = "Offline evaluation, recorded"
CHUNK_SECONDS = 5  # the smallest the setting allows: the page has progress to show
STEP_TASK = "kshare.library.tasks.transcription_step_task"
TRANSCRIBED_WITHIN_MS = 60_000


@pytest.fixture
def workers(server: str, settings, media_root: Path, tmp_path: Path) -> Iterator[Workers]:
    """None running yet. The live server runs in this process, so from here on its uploads
    queue their jobs in the database, for the workers."""
    settings.TASKS = DATABASE_TASKS
    home = tmp_path / "workers"
    home.mkdir()
    pool = Workers(
        home,
        MEDIA_ROOT=str(media_root),
        KSHARE_TRANSCRIBE_CHUNK_SECONDS=str(CHUNK_SECONDS),
    )
    try:
        yield pool
    finally:
        pool.stop_all()  # before the database is emptied after the test


@pytest.fixture(scope="module")
def spoken_opus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    # Opus at 32 kbit/s, as a phone's recorder app makes it.
    speech = wav_samples(spoken_wav(SPOKEN))
    return encode_audio(speech, RATE, folder / "evaluation-talk.ogg", fmt="ogg", bit_rate=32_000)


@pytest.fixture
def people(server: str):
    host = PersonFactory(email="hana@example.com", display_name="Hana Host")
    member = PersonFactory(email="abe@example.com", display_name="Abe Absent")
    session = PastSessionFactory(
        host=host, title="Measuring what we ship", abstract="How we judge a model before release."
    )
    InvitationFactory(session=session, person=member, response="yes")  # …and missed it
    return host, member, session


def _upload(page: Page, server: str, session, recording: Path) -> Material:
    session_url = f"{server}/sessions/{session.pk}/"
    page.goto(session_url)
    page.get_by_role("link", name="Add a recording").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("File").set_input_files(str(recording))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{session_url}#materials")
    material = Material.objects.get(session=session, kind=Material.Kind.RECORDING)
    assert (material.content_type, material.filename) == ("audio/ogg", recording.name)
    return material


def _status(page: Page, material: Material):
    return page.locator(f"#transcription-{material.pk} .transcription-state")


def _spoken_cue(material: Material) -> Cue:
    """The cue in which the recogniser heard the word."""
    [cue] = Cue.objects.filter(transcript__material=material, text__icontains=WORD)
    return cue


_PLAYER = "document.getElementById('recording-%s')"


def _queued_tasks() -> list[str]:
    return list(DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True))


def _wait_until(page: Page, expression: str, *, timeout_ms: int = 10_000) -> None:
    """Poll ``expression`` from the test (``wait_for_function`` would need eval, which the strict
    CSP refuses)."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_ms} ms: {expression}")


def _search_hit(page: Page, server: str, session, cue: Cue) -> None:
    """Search for the word: the transcript's hit shows it and links to its cue."""
    page.get_by_role("searchbox").first.fill(WORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/search/**")
    results = page.locator("#search-results")
    # Only the recording says it: one result, the transcript's.
    expect(results.get_by_role("status")).to_have_text(f"1 result for “{WORD}”")
    hit = results.locator(".search-hit")
    expect(hit.locator(".chip")).to_have_text(["Transcript"])
    link = hit.get_by_role("link", name=TITLE)
    start = cue.start_ms // 1000  # whole seconds in the address; the cue itself is exact
    expect(link).to_have_attribute("href", f"/sessions/{session.pk}/?t={start}#cue-{cue.pk}")
    expect(hit.locator(".search-snippet mark")).to_have_text([WORD])


# -- the tests ------------------------------------------------------------------------------------


def test_a_spoken_word_is_transcribed_found_and_played_from_its_cue(
    browser: Browser, server: str, people, workers: Workers, spoken_opus: Path, axe
):
    host, member, session = people
    session_url = f"{server}/sessions/{session.pk}/"
    with workers.explain_failures():
        began = time.monotonic()
        hosting = browser.new_context()
        page = hosting.new_page()
        sign_in(page, server, host)
        material = _upload(page, server, session, spoken_opus)
        uploaded = time.monotonic()

        # No worker yet: the job waits in the queue, and the page says so.
        status = _status(page, material)
        expect(status).to_have_text("Queued")
        assert _queued_tasks() == [STEP_TASK]
        page.evaluate("window.notReloaded = true")

        # A worker takes one step (one second's work, then the job queues its continuation) and
        # stops: the page, polling by itself, shows how far the job got and what is left.
        first = workers.start("--max-tasks", "1", KSHARE_TRANSCRIBE_STEP_SECONDS="1")
        wait_for(lambda: first.poll() == 0, "the first worker's one step", seconds=60)
        stepped = time.monotonic()
        job = Transcription.objects.get(material=material)
        percent = job.next_start_ms * 100 // job.duration_ms
        assert (job.state, job.chunks_done >= 1, 0 < percent < 100) == ("transcribing", True, True)
        progress = transcription_progress(job)  # the estimate: measured, so not a constant
        assert (progress.percent, progress.remaining_seconds is None) == (percent, False)
        expect(status).to_have_text(f"Transcribing: {percent} % — {progress.remaining_text}")
        assert page.evaluate("window.notReloaded") is True
        assert _queued_tasks() == [STEP_TASK]  # the continuation

        # Another worker goes on from there; once done, the page reloads with the transcript.
        workers.start()
        transcript = page.locator(f"#material-{material.pk} section.transcript")
        expect(transcript.get_by_text("Automatic transcript", exact=True)).to_be_visible(
            timeout=TRANSCRIBED_WITHIN_MS
        )
        transcribed = time.monotonic()
        assert page.evaluate("window.notReloaded") is None
        expect(status).to_have_count(0)
        job.refresh_from_db()
        # "…, adapted to the session" when the session's text has words the dictionary lacks
        # (the factory's titles vary): the name the worker's recogniser gives for this session.
        recogniser = recogniser_for(vocabulary_text=session_vocabulary(material)).name
        assert recogniser.startswith(f"pocketsphinx {version('pocketsphinx')}")
        assert (job.state, job.problem, job.recogniser) == ("done", "", recogniser)
        transcript_row = Transcript.objects.get(material=material)
        assert (transcript_row.source, transcript_row.recogniser) == ("auto", recogniser)
        cue = _spoken_cue(material)
        expect(page.locator(f"#cue-{cue.pk}")).to_contain_text(WORD)
        hosting.close()

        # A member who missed the session searches for the spoken word…
        missing = browser.new_context()
        page = missing.new_page()
        sign_in(page, server, member)
        _search_hit(page, server, session, cue)

        # …and the hit opens the session at that cue: current, and the player there.
        page.locator("#search-results .search-hit").get_by_role("link", name=TITLE).click()
        page.wait_for_url(f"{session_url}?t={cue.start_ms // 1000}#cue-{cue.pk}")
        expect(page.locator(f"#cue-{cue.pk} button")).to_have_attribute("aria-current", "true")
        expect(page.locator("[data-transcript-scroll] [aria-current=true]")).to_have_count(1)
        start = cue.start_ms / 1000
        _wait_until(page, f"Math.abs({_PLAYER % material.pk}.currentTime - {start}) <= 0.05")
        assert page.evaluate(f"{_PLAYER % material.pk}.paused") is True
        problems = axe(page)
        assert problems == "", f"axe on the session page with the transcript:\n{problems}"
        missing.close()
        finished = time.monotonic()
    print(
        f"upload {uploaded - began:.1f} s, first worker's step {stepped - uploaded:.1f} s, "
        f"the rest of the transcription {transcribed - stepped:.1f} s, "
        f"search and jump {finished - transcribed:.1f} s; {job.chunks_done} chunks"
    )


def test_without_javascript_reloading_shows_the_transcript_and_the_hit_leads_to_its_cue(
    browser: Browser, server: str, people, workers: Workers, spoken_opus: Path
):
    """The core flow without JavaScript: the form's own upload, reloads by hand, a plain link
    whose fragment is the cue (the browser's own :target)."""
    host, member, session = people
    session_url = f"{server}/sessions/{session.pk}/"
    with workers.explain_failures():
        hosting = browser.new_context(java_script_enabled=False)
        page = hosting.new_page()
        sign_in(page, server, host)
        material = _upload(page, server, session, spoken_opus)
        expect(_status(page, material)).to_have_text("Queued")
        workers.start()

        label = page.locator(f"#material-{material.pk} section.transcript").get_by_text(
            "Automatic transcript", exact=True
        )
        deadline = time.monotonic() + TRANSCRIBED_WITHIN_MS / 1000
        while not label.is_visible():
            assert time.monotonic() < deadline, "no transcript on the page after reloads"
            page.wait_for_timeout(500)
            page.reload()
        cue = _spoken_cue(material)
        hosting.close()

        missing = browser.new_context(java_script_enabled=False)
        page = missing.new_page()
        sign_in(page, server, member)
        _search_hit(page, server, session, cue)
        page.locator("#search-results .search-hit").get_by_role("link", name=TITLE).click()
        page.wait_for_url(f"{session_url}?t={cue.start_ms // 1000}#cue-{cue.pk}")
        expect(page.locator(":target")).to_have_attribute("id", f"cue-{cue.pk}")
        expect(page.locator(":target")).to_contain_text(WORD)
        missing.close()
