"""A real `kshare worker` SIGKILLed in the middle of transcribing a ~65 s Festival recording, and a
second worker started: the job resumes at the last stored chunk, no chunk is transcribed twice,
and the transcript is exactly the one an uninterrupted run gives (same audio, same chunks).

The workers run against the test database (SQLite file or PostgreSQL) with the production
mechanisms: the lease (2 s here) puts the dead worker's task back in the queue, the step's claim
sees the dead worker's lease and takes the job back at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from kshare.library import transcription
from kshare.library.models import Transcript, Transcription, TranscriptionChunk
from kshare.library.speech import audio, recognisers
from kshare.library.speech.cues import words_to_cues
from kshare.library.tests.factories import RecordingMaterialFactory
from kshare.library.tests.speech_samples import PARAGRAPH, spoken_wav
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.web.tests.workers import DATABASE_TASKS, Workers, wait_for

pytestmark = pytest.mark.django_db(transaction=True)  # the workers see committed rows only

DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

CHUNK_SECONDS = 10
KILL_AFTER_CHUNKS = 2
# About 65 seconds of speech: the paragraph three times, with different openings.
SPEECH = " ".join(
    f"{opening} {PARAGRAPH}" for opening in ("Good morning.", "Once more.", "One last time.")
)


@pytest.fixture
def workers(tmp_path) -> Iterator[Workers]:
    pool = Workers(
        tmp_path,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        KSHARE_TRANSCRIBE_CHUNK_SECONDS=str(CHUNK_SECONDS),
        # One step for the whole job even on a busy machine: the continuation has its own tests.
        KSHARE_TRANSCRIBE_STEP_SECONDS="600",
    )
    try:
        yield pool
    finally:
        pool.stop_all()


def _uninterrupted(path: Path, vocabulary: str) -> tuple[list[tuple[int, int, str]], int]:
    """The cues and the number of chunks of one run without a kill (in this process), the
    recogniser calibrated on the first chunk as the job does."""
    recogniser = recognisers.recogniser_for(vocabulary_text=vocabulary)
    recogniser.calibrate(audio.read_chunk(path, start_ms=0, max_ms=CHUNK_SECONDS * 1000).samples)
    words, start, last, chunks = [], 0, False, 0
    while not last:
        chunk = audio.read_chunk(path, start_ms=start, max_ms=CHUNK_SECONDS * 1000)
        if len(chunk.samples) and not audio.is_silent(chunk.samples):
            words += recogniser.transcribe(chunk.samples, offset_ms=chunk.start_ms)
        start, last, chunks = chunk.end_ms, chunk.last, chunks + 1
    return [(c.start_ms, c.end_ms, c.text) for c in words_to_cues(words)], chunks


def _chunks(job: Transcription) -> dict[int, tuple[int, int, int]]:
    return {
        index: (pk, start, end)
        for index, pk, start, end in TranscriptionChunk.objects.filter(
            transcription=job
        ).values_list("index", "pk", "start_ms", "end_ms")
    }


def test_a_worker_killed_mid_transcription_resumes_at_its_last_chunk_on_the_next(workers):
    path = spoken_wav(SPEECH)
    assert 55_000 < audio.probe(path).duration_ms < 95_000
    material = RecordingMaterialFactory(
        session=PastSessionFactory(title="Recommender systems", abstract="Catching up offline."),
        file=ContentFile(path.read_bytes(), name="talk.wav"),
        filename="talk.wav",
        content_type="audio/wav",
    )
    first = workers.start()
    with override_settings(TASKS=DATABASE_TASKS):
        job = transcription.transcription_request(material=material)
    wait_for(
        lambda: Transcription.objects.get(pk=job.pk).chunks_done >= KILL_AFTER_CHUNKS,
        f"{KILL_AFTER_CHUNKS} chunks",
        process=first,
    )
    workers.kill(first)

    # Killed mid-job: its task RUNNING for good, the job at its last stored chunk.
    killed = Transcription.objects.get(pk=job.pk)
    stored = _chunks(killed)
    [task] = DBTaskResult.objects.filter(task_path="kshare.library.tasks.transcription_step_task")
    assert task.status == "RUNNING"
    assert killed.state == Transcription.State.TRANSCRIBING
    assert sorted(stored) == list(range(killed.chunks_done))
    assert killed.next_start_ms == stored[killed.chunks_done - 1][2]  # the last chunk's end
    assert killed.claimed_by.split("|")[0].split(":")[1] == str(first.pid)

    second = workers.start()
    seen: dict[int, tuple[int, int, int]] = dict(stored)

    def finished() -> bool:
        # Every chunk row ever seen keeps its id: none stored again, none replaced.
        for index, row in _chunks(killed).items():
            assert seen.setdefault(index, row) == row, (index, row, seen[index])
        return Transcription.objects.get(pk=job.pk).state in ("done", "failed")

    wait_for(finished, "the second worker to finish the job", process=second)
    done = Transcription.objects.get(pk=job.pk)
    expected, chunks = _uninterrupted(path, transcription.session_vocabulary(material))
    cues = list(
        Transcript.objects.get(material=material).cues.values_list("start_ms", "end_ms", "text")
    )
    assert (done.state, done.problem, done.detail) == ("done", "", "")
    assert (done.chunks_done, done.attempts, done.claimed_by) == (chunks, 2, "")
    assert sorted(seen) == list(range(len(seen)))
    assert cues == expected
    assert TranscriptionChunk.objects.filter(transcription=done).count() == 0
    task.refresh_from_db()
    # Taken back from the dead worker's expired lease and run again by the new one.
    assert (task.status, len(task.worker_ids)) == ("SUCCESSFUL", 2)
    assert task.worker_ids[1].split(":")[1] == str(second.pid)
    assert DBTaskResult.objects.count() == 1  # one step task did it all (no continuation)


def test_two_steps_racing_for_one_job_claim_it_once():
    """Two runs of the step at the same moment (a task queued twice): one does the job."""
    material = RecordingMaterialFactory(
        session=PastSessionFactory(title="Recommender systems"),
        file=ContentFile(spoken_wav("Welcome to the session.").read_bytes(), name="hi.wav"),
        filename="hi.wav",
        content_type="audio/wav",
    )
    with override_settings(TASKS=DUMMY_TASKS):
        job = transcription.transcription_request(material=material)
    start = threading.Barrier(2)
    answers: list[bool] = []

    def step() -> None:
        try:
            start.wait()
            answers.append(transcription.transcription_step(transcription_id=job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=step) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    done = Transcription.objects.get(pk=job.pk)
    assert sorted(answers) == [False, True]
    assert (done.state, done.attempts, done.claimed_by) == ("done", 1, "")
    assert Transcript.objects.filter(material=material).count() == 1
