"""The automatic transcription job (kshare.library.transcription) with real parts: real media files
(PyAV), real pocketsphinx, real Festival speech; tasks run immediately unless a test says not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kshare.cli import main
from kshare.core.models import WorkerLease
from kshare.library import services, services_transcripts, sniff, transcription
from kshare.library.models import Material, Transcript, Transcription, TranscriptionChunk
from kshare.library.speech import audio, recognisers
from kshare.library.speech.cues import words_to_cues
from kshare.library.speech.wer import word_error_rate
from kshare.library.tests import media_samples
from kshare.library.tests.factories import LinkMaterialFactory, RecordingMaterialFactory
from kshare.library.tests.speech_samples import PARAGRAPH, spoken_wav
from kshare.library.transcripts import ParsedCue, ParsedTranscript
from kshare.search.models import SearchDocument
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

State = Transcription.State
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
SESSION_TEXT = {
    "title": "Recommender systems for knowledge sharing",
    "abstract": "How the recommender connects people with sessions, recordings and hosts.",
}


def _recording(path: Path, *, content_type: str = "audio/wav", **session) -> Material:
    return RecordingMaterialFactory(
        session=PastSessionFactory(**(session or SESSION_TEXT)),
        file=ContentFile(path.read_bytes(), name=path.name),
        filename=path.name,
        content_type=content_type,
    )


def _job(material: Material) -> Transcription:
    return Transcription.objects.get(material=material)


def _transcribe(material: Material) -> Transcription:
    """Request and run every step until the job stops (continuations queued, not run)."""
    with override_settings(TASKS=DUMMY_TASKS):
        job = transcription.transcription_request(material=material)
        for _ in range(100):
            if not transcription.transcription_step(transcription_id=job.pk):
                break
    return _job(material)


def _expected_cues(
    path: Path, material: Material, *, chunk_seconds: int = 30
) -> tuple[list[ParsedCue], str, int]:
    """What an uninterrupted run gives: the same chunks, the same recogniser calibrated on the
    first chunk, the same cues."""
    recogniser = recognisers.recogniser_for(
        vocabulary_text=transcription.session_vocabulary(material)
    )
    first = audio.read_chunk(path, start_ms=0, max_ms=chunk_seconds * 1000)
    recogniser.calibrate(first.samples)
    words = []
    start, last, chunks = 0, False, 0
    while not last:
        chunks += 1
        chunk = audio.read_chunk(path, start_ms=start, max_ms=chunk_seconds * 1000)
        if len(chunk.samples) and not audio.is_silent(chunk.samples):
            words += recogniser.transcribe(chunk.samples, offset_ms=chunk.start_ms)
        start, last = chunk.end_ms, chunk.last
    return words_to_cues(words), recogniser.name, chunks


# About 4 seconds: most tests need some speech, not much (the machine may be busy).
SENTENCE = "Welcome to this knowledge sharing session about recommender systems."
# About 9 seconds: two sentences, for chunks and steps.
SENTENCES = (
    "Welcome to this knowledge sharing session about recommender systems. "
    "Every recording gets a transcript, so people who missed the session can catch up."
)


@pytest.fixture(scope="module")
def paragraph() -> Path:
    return spoken_wav(PARAGRAPH)


@pytest.fixture(scope="module")
def sentence() -> Path:
    return spoken_wav(SENTENCE)


@pytest.fixture(scope="module")
def sentences() -> Path:
    return spoken_wav(SENTENCES)


# -- the whole way --------------------------------------------------------------------------------


def test_an_uploaded_spoken_recording_gets_an_automatic_transcript(
    paragraph, django_capture_on_commit_callbacks
):
    session = PastSessionFactory(**SESSION_TEXT)
    with paragraph.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        material = services.material_add_file(
            session=session,
            kind=Material.Kind.RECORDING,
            title="The talk",
            upload=File(handle, name="talk.wav"),
            sniffed=sniff.sniff_head(paragraph.read_bytes()[:64]),
            filename="talk.wav",
            by=None,
        )
    job = _job(material)
    transcript = Transcript.objects.get(material=material)
    expected, name, _chunks = _expected_cues(paragraph, material)
    cues = list(transcript.cues.values_list("start_ms", "end_ms", "text"))
    assert (job.state, job.problem, job.detail) == (State.DONE, "", "")
    assert (job.chunks_done, TranscriptionChunk.objects.count()) == (1, 0)
    assert job.duration_ms == audio.probe(paragraph).duration_ms
    assert job.next_start_ms == job.duration_ms
    assert (transcript.source, transcript.language) == ("auto", "en")
    assert cues == [(c.start_ms, c.end_ms, c.text) for c in expected]
    assert len(cues) >= 4
    assert job.recogniser == name
    # A woman's voice: the speaker's warp chosen on the first chunk (test_speech_recognisers).
    assert job.calibration == "1.4"
    # Good enough to find the talk by its words (the recogniser's own tests measure accuracy).
    assert word_error_rate(PARAGRAPH, transcript.text) < 0.4
    document = SearchDocument.objects.get(kind="transcript", object_id=transcript.pk)
    assert document.body == transcript.text


def test_a_recording_in_chunks_gives_the_cues_of_one_uninterrupted_run(sentences, monkeypatch):
    material = _recording(sentences)
    # Every step after the first restores the first one's choice instead of choosing again.
    choices: list[str] = []
    calibrate = recognisers.PocketsphinxRecogniser.calibrate
    monkeypatch.setattr(
        recognisers.PocketsphinxRecogniser,
        "calibrate",
        lambda self, samples: choices.append(calibrate(self, samples)) or choices[-1],
    )
    with override_settings(KSHARE_TRANSCRIBE_CHUNK_SECONDS=5, KSHARE_TRANSCRIBE_STEP_SECONDS=1):
        job = _transcribe(material)
        assert (job.attempts > 1, choices, job.calibration) == (True, ["1.4"], "1.4")
        expected, _name, chunks = _expected_cues(sentences, material, chunk_seconds=5)
    cues = list(
        Transcript.objects.get(material=material).cues.values_list("start_ms", "end_ms", "text")
    )
    assert job.state == State.DONE
    assert (job.chunks_done, chunks >= 2) == (chunks, True)  # ~9 s in chunks of at most 5 s
    assert cues == [(c.start_ms, c.end_ms, c.text) for c in expected]


def test_progress_and_estimate_follow_the_chunks_done(sentence):
    material = _recording(sentence)
    job = transcription.transcription_request(material=material)
    before = transcription.transcription_progress(job)
    assert (before.percent, before.remaining_seconds, before.label) == (0, None, "Queued")
    assert before.remaining_text == "estimating…"
    job.state, job.duration_ms, job.next_start_ms = State.TRANSCRIBING, 600_000, 60_000
    job.chunks_done, job.working_seconds = 2, 12.0
    during = transcription.transcription_progress(job)
    # 12 s of work for 60 s of audio: 0.2 s a second, 540 s of audio left.
    assert (during.percent, during.remaining_seconds, during.label) == (10, 108, "Transcribing")
    assert during.remaining_text == "about 2 minutes left"
    job.next_start_ms = 590_000
    assert transcription.transcription_progress(job).remaining_text == "less than a minute left"


# -- bad input ------------------------------------------------------------------------------------


def _bad(kind: str, tmp_path: Path) -> Path:
    wav = media_samples.encode_audio(
        media_samples.tone(3.0), 16_000, tmp_path / "tone.wav", fmt="wav"
    )
    if kind == "no_audio":
        return media_samples.video_without_audio(tmp_path / "silent-film.mp4")
    if kind == "corrupt":
        return media_samples.corrupt_copy(wav, tmp_path / "broken.wav", how="header")
    if kind == "unsupported":
        return media_samples.unsupported_codec_wav(tmp_path / "odd.wav")
    if kind == "silence":
        return media_samples.encode_audio(
            media_samples.silence(8.0), 16_000, tmp_path / "quiet.flac", fmt="flac"
        )
    raise ValueError(kind)


@pytest.mark.parametrize("problem", ["no_audio", "corrupt", "unsupported", "silence"])
def test_each_bad_recording_gets_its_problem_and_nothing_half_indexed(problem, tmp_path):
    material = _recording(_bad(problem, tmp_path))
    job = _transcribe(material)
    assert (job.state, job.problem) == (State.FAILED, problem)
    assert job.finished_at is not None
    assert job.claimed_by == ""
    assert Transcript.objects.filter(material=material).exists() is False
    assert TranscriptionChunk.objects.filter(transcription=job).count() == 0
    assert SearchDocument.objects.filter(kind="transcript").count() == 0


def test_a_recording_longer_than_the_limit_is_too_long_and_not_decoded(tmp_path):
    path = media_samples.encode_audio(
        media_samples.silence(61.0, 8_000), 8_000, tmp_path / "long.wav", fmt="wav"
    )
    material = _recording(path)
    with override_settings(KSHARE_TRANSCRIBE_MAX_MINUTES=1):
        job = _transcribe(material)
    assert (job.state, job.problem, job.chunks_done) == (State.FAILED, "too_long", 0)
    assert job.detail == "The recording lasts 1 minutes; KSHARE_TRANSCRIBE_MAX_MINUTES is 1."
    assert job.get_problem_display() == (
        "The recording is longer than this installation transcribes."
    )
    assert Transcript.objects.filter(material=material).exists() is False


def test_trying_again_after_a_failure_starts_over(tmp_path, sentence):
    material = _recording(_bad("silence", tmp_path))
    failed = _transcribe(material)
    assert failed.problem == "silence"
    material.file.save("talk.wav", ContentFile(sentence.read_bytes()), save=True)
    job = _transcribe(material)
    assert (job.state, job.problem, job.detail, job.attempts) == (State.DONE, "", "", 2)
    assert Transcript.objects.get(material=material).source == "auto"


def test_a_human_transcript_uploaded_midway_is_kept(paragraph):
    # ~21 s in chunks of 5 s: a one-second step cannot do them all.
    material = _recording(paragraph)
    human = ParsedTranscript(source="vtt", cues=[ParsedCue(0, 2000, "Welcome, says the host.")])
    with override_settings(
        TASKS=DUMMY_TASKS, KSHARE_TRANSCRIBE_CHUNK_SECONDS=5, KSHARE_TRANSCRIBE_STEP_SECONDS=1
    ):
        job = transcription.transcription_request(material=material)
        assert transcription.transcription_step(transcription_id=job.pk) is True
        assert _job(material).state == State.TRANSCRIBING  # one step did not finish it
        services_transcripts.transcript_save(material=material, parsed=human, language="en")
        while transcription.transcription_step(transcription_id=job.pk):
            pass
    job = _job(material)
    transcript = Transcript.objects.get(material=material)
    assert (job.state, job.problem) == (State.DONE, "")
    assert (transcript.source, transcript.text) == ("vtt", "Welcome, says the host.")
    assert TranscriptionChunk.objects.filter(transcription=job).count() == 0


class BrokenResampler:
    """PyAV failing in a way audio.py does not expect (not an FFmpegError)."""

    def __init__(self, *args, **kwargs):
        raise ValueError("Expected AudioFrame, got None")


def break_the_recogniser(monkeypatch) -> str:
    """From now on the recogniser's transcribe raises; returns the job's expected detail."""
    import pocketsphinx

    class BrokenDecoder(pocketsphinx.Decoder):
        """pocketsphinx failing inside a chunk as its C library may: an error of its own."""

        def start_utt(self):
            raise RuntimeError("Decoder: ps_start_utt() failed")

    monkeypatch.setattr(pocketsphinx, "Decoder", BrokenDecoder)
    return "RuntimeError: Decoder: ps_start_utt() failed"


def break_the_decoding(monkeypatch) -> str:
    monkeypatch.setattr(audio.av, "AudioResampler", BrokenResampler)
    return "ValueError: Expected AudioFrame, got None"


@pytest.mark.parametrize("fault", [break_the_recogniser, break_the_decoding])
def test_an_unexpected_error_midway_ends_the_job_with_the_generic_problem(
    fault, sentences, monkeypatch, caplog
):
    material = _recording(sentences)
    with override_settings(
        TASKS=DUMMY_TASKS, KSHARE_TRANSCRIBE_CHUNK_SECONDS=5, KSHARE_TRANSCRIBE_STEP_SECONDS=0
    ):
        job = transcription.transcription_request(material=material)
        # One chunk a step (no time left after any): the first step stores one.
        assert transcription.transcription_step(transcription_id=job.pk) is True
        assert (_job(material).state, _job(material).chunks_done) == (State.TRANSCRIBING, 1)
        detail = fault(monkeypatch)
        caplog.clear()
        assert transcription.transcription_step(transcription_id=job.pk) is True

    failed = _job(material)
    assert (failed.state, failed.problem, failed.detail) == (State.FAILED, "error", detail)
    assert failed.get_problem_display() == (
        "The transcription failed; an administrator can see why in the log."
    )
    assert (failed.claimed_by, failed.finished_at is not None) == ("", True)
    # Nothing half-indexed.
    assert TranscriptionChunk.objects.filter(transcription=failed).count() == 0
    assert Transcript.objects.filter(material=material).exists() is False
    assert SearchDocument.objects.filter(kind="transcript").count() == 0
    # The traceback for the administrator.
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert (logged.name, logged.getMessage()) == (
        "kshare.library.transcription",
        f"Transcription {job.pk} failed",
    )
    assert f"{type(logged.exc_info[1]).__name__}: {logged.exc_info[1]}" == detail

    # "Try again", the fault gone: the job starts over from the first chunk and finishes.
    monkeypatch.undo()
    with override_settings(KSHARE_TRANSCRIBE_CHUNK_SECONDS=5):
        done = _transcribe(material)
        expected, _name, chunks = _expected_cues(sentences, material, chunk_seconds=5)
    transcript = Transcript.objects.get(material=material)
    assert (done.state, done.problem, done.detail, done.attempts) == (State.DONE, "", "", 3)
    assert done.chunks_done == chunks
    assert list(transcript.cues.values_list("start_ms", "end_ms", "text")) == [
        (c.start_ms, c.end_ms, c.text) for c in expected
    ]
    assert SearchDocument.objects.get(kind="transcript").object_id == transcript.pk


# -- requests -------------------------------------------------------------------------------------


def test_a_link_to_a_recording_hosted_elsewhere_cannot_be_transcribed():
    link = LinkMaterialFactory(kind=Material.Kind.RECORDING)
    with pytest.raises(ValidationError) as raised:
        transcription.transcription_request(material=link)
    assert raised.value.messages == [
        "Only a recording whose file is stored here can be transcribed automatically, not one "
        "hosted elsewhere."
    ]
    assert Transcription.objects.count() == 0


@override_settings(KSHARE_TRANSCRIBE="off")
def test_with_transcription_off_nothing_is_queued(sentence, django_capture_on_commit_callbacks):
    material = _recording(sentence)
    with pytest.raises(ValidationError) as raised:
        transcription.transcription_request(material=material)
    assert raised.value.messages == ["Automatic transcripts are switched off on this installation."]
    session = PastSessionFactory()
    with sentence.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        services.material_add_file(
            session=session,
            kind=Material.Kind.RECORDING,
            title="The talk",
            upload=File(handle, name="talk.wav"),
            sniffed=sniff.sniff_head(sentence.read_bytes()[:64]),
            filename="talk.wav",
            by=None,
        )
    assert Transcription.objects.count() == 0


@override_settings(TASKS=DUMMY_TASKS)
def test_a_running_job_is_left_running_when_requested_again(sentence):
    material = _recording(sentence)
    job = transcription.transcription_request(material=material)
    Transcription.objects.filter(pk=job.pk).update(state=State.TRANSCRIBING, next_start_ms=5000)
    again = transcription.transcription_request(material=material)
    assert (again.pk, again.state, again.next_start_ms) == (job.pk, State.TRANSCRIBING, 5000)


# -- claims ---------------------------------------------------------------------------------------


def _claimed(material: Material, holder: str, *, minutes_ago: float = 0) -> Transcription:
    with override_settings(TASKS=DUMMY_TASKS):
        job = transcription.transcription_request(material=material)
    Transcription.objects.filter(pk=job.pk).update(
        state=State.TRANSCRIBING,
        claimed_by=holder,
        updated_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return job


def _lease(worker_id: str, *, seconds_ago: float) -> None:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerLease.objects.create(worker_id=worker_id, heartbeat_at=at, started_at=at, host="h", pid=1)


def test_a_job_claimed_by_a_live_worker_is_not_run_again(sentence):
    material = _recording(sentence)
    _lease("host:1:alive", seconds_ago=1)
    job = _claimed(material, "host:1:alive|abcd1234")
    assert transcription.transcription_step(transcription_id=job.pk) is False
    job.refresh_from_db()
    assert (job.state, job.claimed_by, job.attempts, job.chunks_done) == (
        State.TRANSCRIBING,
        "host:1:alive|abcd1234",
        0,
        0,
    )


def test_a_live_workers_claim_is_not_taken_however_long_its_chunk_takes(sentence):
    material = _recording(sentence)
    _lease("host:1:slow", seconds_ago=1)
    job = _claimed(material, "host:1:slow|abcd1234", minutes_ago=30)
    assert transcription.transcription_step(transcription_id=job.pk) is False
    with override_settings(TASKS=DATABASE_TASKS):
        assert transcription.transcriptions_resume() == 0
    job.refresh_from_db()
    assert (job.claimed_by, job.attempts) == ("host:1:slow|abcd1234", 0)


def test_a_job_claimed_by_a_dead_worker_is_taken_back_at_once(sentence):
    material = _recording(sentence)
    _lease("host:1:dead", seconds_ago=600)  # the lease expired: the worker was killed
    job = _claimed(material, "host:1:dead|abcd1234")
    with override_settings(TASKS=DUMMY_TASKS):
        assert transcription.transcription_step(transcription_id=job.pk) is True
    job.refresh_from_db()
    assert (job.state, job.claimed_by, job.attempts) == (State.DONE, "", 1)


def test_a_claim_without_a_lease_is_taken_back_once_stale(sentence):
    material = _recording(sentence)
    fresh = _claimed(material, "|web12345", minutes_ago=1)
    assert transcription.transcription_step(transcription_id=fresh.pk) is False
    stale = _claimed(material, "|web12345", minutes_ago=6)
    with override_settings(TASKS=DUMMY_TASKS):
        assert transcription.transcription_step(transcription_id=stale.pk) is True
    assert _job(material).state == State.DONE


def test_a_finished_job_is_not_run_again(sentence):
    material = _recording(sentence)
    job = _transcribe(material)
    assert job.state == State.DONE
    assert transcription.transcription_step(transcription_id=job.pk) is False
    assert _job(material).attempts == job.attempts


# -- the tick and the command ---------------------------------------------------------------------


@override_settings(TASKS=DATABASE_TASKS)
def test_the_tick_queues_again_a_job_that_stopped_moving_once(sentence):
    material = _recording(sentence)
    moving = _recording(sentence)
    job = transcription.transcription_request(material=material)
    transcription.transcription_request(material=moving)
    Transcription.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=6))
    # The request's own task is lost (a web process that died before enqueueing it).
    assert DBTaskResult.objects.count() == 0
    assert transcription.transcriptions_resume() == 1
    [queued] = DBTaskResult.objects.all()
    assert (queued.task_path, queued.args_kwargs["kwargs"]) == (
        "kshare.library.tasks.transcription_step_task",
        {"transcription_id": job.pk},
    )
    assert transcription.transcriptions_resume() == 0  # its task is waiting: not twice


@override_settings(TASKS=DUMMY_TASKS)
def test_the_command_queues_the_recordings_without_a_transcript(sentence, capsys):
    missing = _recording(sentence)
    with_transcript = _recording(sentence)
    services_transcripts.transcript_save(
        material=with_transcript,
        parsed=ParsedTranscript(source="vtt", cues=[ParsedCue(0, 1000, "Hello.")]),
    )
    LinkMaterialFactory(kind=Material.Kind.RECORDING)
    call_command("transcribe", "--missing")
    assert capsys.readouterr().out == (
        "Queued 1 recording(s) for transcription; 0 already queued or running.\n"
    )
    assert list(Transcription.objects.values_list("material", "state")) == [
        (missing.pk, State.QUEUED)
    ]
    call_command("transcribe", str(missing.pk), str(with_transcript.pk))
    assert capsys.readouterr().out == (
        "Queued 1 recording(s) for transcription; 1 already queued or running.\n"
    )


def test_the_command_refuses_unknown_ids_and_queues_nothing(sentence):
    material = _recording(sentence)
    link = LinkMaterialFactory(kind=Material.Kind.RECORDING)
    with pytest.raises(CommandError) as raised:
        call_command("transcribe", str(material.pk), str(link.pk), "99999")
    assert str(raised.value) == (
        f"No recording with a stored file has the id {link.pk}, 99999; nothing was queued."
    )
    assert Transcription.objects.count() == 0


def test_a_job_queued_before_transcription_was_switched_off_fails_with_the_reason(sentence):
    material = _recording(sentence)
    with override_settings(TASKS=DUMMY_TASKS):
        job = transcription.transcription_request(material=material)
    with override_settings(KSHARE_TRANSCRIBE="off"):
        assert transcription.transcription_step(transcription_id=job.pk) is True
    job.refresh_from_db()
    assert (job.state, job.problem, job.detail) == (
        State.FAILED,
        "error",
        "Automatic transcription was switched off (KSHARE_TRANSCRIBE=off) before this job ran.",
    )
    assert Transcript.objects.filter(material=material).exists() is False


def test_a_recording_in_a_bucket_is_transcribed_from_a_temporary_copy(s3_media, sentence):
    material = _recording(sentence)
    with pytest.raises(NotImplementedError):
        material.file.path  # noqa: B018 - object storage has no local path
    job = _transcribe(material)
    expected, name, chunks = _expected_cues(sentence, material)
    cues = list(
        Transcript.objects.get(material=material).cues.values_list("start_ms", "end_ms", "text")
    )
    assert (job.state, job.problem, job.recogniser, job.chunks_done) == (
        State.DONE,
        "",
        name,
        chunks,
    )
    assert cues == [(c.start_ms, c.end_ms, c.text) for c in expected]


def test_kshare_transcribe_with_a_bad_id_ends_with_exit_code_2_and_one_sentence(capsys):
    assert main(["transcribe", "99999"]) == 2
    assert capsys.readouterr().err == (
        "kshare: No recording with a stored file has the id 99999; nothing was queued.\n"
    )
