"""The local copy of a recording in a bucket (kshare.library.transcription, "the recording's local
copy"), against a real S3 API server (moto's server mode) on loopback: a job in several steps
downloads the recording once, the copy goes when the job ends, a cut-short copy is fetched again,
and the tick removes copies of abandoned jobs. The bucket's own request log counts the downloads.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings

from kshare.library import services_transcripts, transcription
from kshare.library.models import Material, Transcript, Transcription
from kshare.library.tests.factories import RecordingMaterialFactory
from kshare.library.tests.speech_samples import spoken_wav
from kshare.library.tests.test_transcription import (
    DUMMY_TASKS,
    SENTENCES,
    SESSION_TEXT,
    break_the_recogniser,
)
from kshare.library.transcripts import ParsedCue, ParsedTranscript
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

State = Transcription.State
# One chunk a step (no time is left after any): ~9 s of speech in chunks of at most 5 s (cut at
# quiet moments) is several steps.
STEPS = override_settings(
    TASKS=DUMMY_TASKS, KSHARE_TRANSCRIBE_CHUNK_SECONDS=5, KSHARE_TRANSCRIBE_STEP_SECONDS=0
)


@pytest.fixture(scope="module")
def sentences() -> Path:
    return spoken_wav(SENTENCES)


@pytest.fixture
def copies(tmp_path, monkeypatch) -> Path:
    """The folder of the copies, inside this test's own temporary directory."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path / "kshare-transcribe"


@pytest.fixture
def material(s3_media, sentences) -> Material:
    return RecordingMaterialFactory(
        session=PastSessionFactory(**SESSION_TEXT),
        file=ContentFile(sentences.read_bytes(), name="talk.wav"),
        filename="talk.wav",
        content_type="audio/wav",
    )


def _downloads(s3_server, material: Material) -> int:
    """The GET requests for the recording's object in the S3 server's log."""
    key = f"/{material.file.storage.bucket_name}/{material.file.name}"
    return len(re.findall(rf'"GET {re.escape(key)}[ ?]', s3_server.log.read_text()))


def _step(job: Transcription) -> Transcription:
    with STEPS:
        assert transcription.transcription_step(transcription_id=job.pk) is True
    job.refresh_from_db()
    return job


def _to_the_end(job: Transcription) -> tuple[Transcription, int]:
    """Run the job's steps until it ends; returns it and how many steps there were."""
    steps = 0
    while job.state in transcription.ACTIVE:
        job = _step(job)
        steps += 1
    return job, steps


def _request(material: Material) -> Transcription:
    with STEPS:
        return transcription.transcription_request(material=material)


def test_a_job_in_several_steps_downloads_the_recording_once(
    material, copies, s3_server, sentences
):
    job = _request(material)
    job = _step(job)
    [copy] = copies.iterdir()
    assert (job.state, job.chunks_done) == (State.TRANSCRIBING, 1)
    assert copy.read_bytes() == sentences.read_bytes()
    assert copy.name.startswith(f"{job.pk}-") and copy.suffix == ".wav"
    # Another installation on this machine, transcribing its own job with the same id.
    neighbour = copies / f"{job.pk}-0123456789ab.wav"
    neighbour.write_bytes(b"RIFF")
    job, steps = _to_the_end(job)
    assert (job.state, 1 + steps, job.chunks_done >= 2) == (State.DONE, job.chunks_done, True)
    assert _downloads(s3_server, material) == 1
    assert Transcript.objects.get(material=material).source == "auto"
    assert list(copies.iterdir()) == [neighbour]  # the job ended: its copy is gone


def _fail_midway(job: Transcription, monkeypatch) -> None:
    break_the_recogniser(monkeypatch)


def _human_midway(job: Transcription, monkeypatch) -> None:
    services_transcripts.transcript_save(
        material=job.material,
        parsed=ParsedTranscript(source="vtt", cues=[ParsedCue(0, 2000, "Welcome.")]),
        language="en",
    )


@pytest.mark.parametrize(
    ("midway", "state", "problem"),
    [(_fail_midway, State.FAILED, "error"), (_human_midway, State.DONE, "")],
)
def test_the_copy_goes_when_the_job_fails_or_keeps_a_persons_transcript(
    midway, state, problem, material, copies, monkeypatch
):
    job = _step(_request(material))
    assert len(list(copies.iterdir())) == 1
    midway(job, monkeypatch)
    job = _step(job)
    assert (job.state, job.problem) == (state, problem)
    assert list(copies.iterdir()) == []


def test_a_copy_cut_short_is_fetched_again(material, copies, s3_server, sentences):
    job = _step(_request(material))
    [copy] = copies.iterdir()
    whole = copy.read_bytes()
    copy.write_bytes(whole[: len(whole) // 2])  # as a download stopped half-way would leave it

    job = _step(job)
    assert _downloads(s3_server, material) == 2
    [again] = copies.iterdir()
    assert again.read_bytes() == whole
    job, _steps = _to_the_end(job)
    assert (job.state, _downloads(s3_server, material)) == (State.DONE, 2)


def test_a_download_killed_half_way_leaves_no_copy_to_be_taken_for_whole(
    material, copies, s3_server, monkeypatch
):
    class Killed(BaseException):
        """A worker stopped mid-download (not an Exception: nothing handles it)."""

    def killed_mid_download(source, target, length):
        target.write(source.read(1000))
        raise Killed

    job = _request(material)
    with monkeypatch.context() as patched, pytest.raises(Killed):
        patched.setattr(transcription.shutil, "copyfileobj", killed_mid_download)
        _step(job)
    assert list(copies.iterdir()) == []
    Transcription.objects.filter(pk=job.pk).update(claimed_by="")  # the dead run's claim, taken
    job = _step(job)
    [copy] = copies.iterdir()
    assert (job.state, job.chunks_done, _downloads(s3_server, material)) == (
        State.TRANSCRIBING,
        1,
        2,
    )
    assert copy.stat().st_size == material.file.size


def test_the_tick_removes_the_copies_of_abandoned_jobs_only(material, copies, s3_server):
    job = _step(_request(material))
    [copy] = copies.iterdir()
    old = copies / f"{job.pk + 1}-0123456789ab.mp4"
    old.write_bytes(b"an abandoned job's recording")
    three_days_ago = time.time() - 3 * 24 * 3600
    os.utime(old, (three_days_ago, three_days_ago))

    with override_settings(TASKS=DUMMY_TASKS):
        transcription.transcriptions_resume()
    assert list(copies.iterdir()) == [copy]  # in use, kept

    os.utime(copy, (three_days_ago, three_days_ago))  # …until it is not touched for days
    with override_settings(TASKS=DUMMY_TASKS):
        transcription.transcriptions_resume()
    assert list(copies.iterdir()) == []
    job, _steps = _to_the_end(job)  # the job, resumed after all, fetches the recording again
    assert (job.state, _downloads(s3_server, material)) == (State.DONE, 2)
