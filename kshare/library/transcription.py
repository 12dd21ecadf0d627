"""Automatic transcripts: the worker turns an uploaded recording's speech into its transcript.

The job is a ``Transcription`` row per recording. ``transcription_request`` queues it (after an
upload, on demand, or ``kshare transcribe``); ``transcription_step`` is what the worker runs:

    QUEUED → DECODING (probe the file) → TRANSCRIBING (chunk after chunk) → INDEXING → DONE
                                                                 ↘ FAILED (problem, detail)

Resumable and fair. Each chunk's words are stored as a ``TranscriptionChunk`` in the same
transaction that moves ``next_start_ms`` on, so a worker killed at any moment leaves the job at
its last stored chunk and the next run goes on from there (never a chunk twice: the write is
conditional on ``next_start_ms`` and on the claim). One task works for at most
``KSHARE_TRANSCRIBE_STEP_SECONDS``, then gives its claim up and queues its continuation, so mail
and other tasks are never stuck behind a two-hour recording.

Claims. A step takes the job with a conditional UPDATE of ``claimed_by`` (compare and swap on the
value it read): free (``""``), or held by a worker whose lease is no longer live (killed: the
lease mechanism queues its task again, and the re-run takes the job back at once), or, for a run
without a lease (a web process running tasks immediately), not moved for ``STALE_AFTER``. A live
worker's claim is never taken, however slow its chunk. Two steps racing for one job claim it
once; the loser returns False.

Nothing half-indexed: the transcript is written only at the end, in one transaction with DONE;
a failure deletes the chunks and writes no transcript. A human transcript (uploaded while the
job ran) is kept: the job ends DONE without touching it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.core.leases import current_worker_id, lease_period
from kshare.core.models import WorkerLease
from kshare.core.taskslots import TaskSlot
from kshare.library import services_transcripts
from kshare.library.models import Material, Transcript, Transcription, TranscriptionChunk
from kshare.library.speech.cues import words_to_cues
from kshare.library.speech.types import RecogniserUnavailable, SpeechError, Word
from kshare.library.transcripts import ParsedTranscript
from kshare.people.models import Person

logger = logging.getLogger(__name__)

# The worker's step task (kshare.library.tasks binds it).
STEP = TaskSlot("the transcription step")

State = Transcription.State
Problem = Transcription.Problem
# States in which the job still has work to do (and so a claim to take).
ACTIVE = (State.QUEUED, State.DECODING, State.TRANSCRIBING, State.INDEXING)
# A claim that has not moved for this long is taken back; the tick re-queues such jobs. A live
# step writes the row after every chunk (seconds), so this is only ever reached by dead ones.
STALE_AFTER = timedelta(minutes=5)
# Streaming a recording from object storage to a temporary file.
DOWNLOAD_BLOCK = 1024 * 1024


class ClaimLost(Exception):
    """Another run took the job (this one was taken for dead): stop without writing."""


# -- requests -------------------------------------------------------------------------------------


def transcribe_enabled() -> bool:
    return settings.KSHARE_TRANSCRIBE != "off"


def transcribable(material: Material) -> bool:
    """A recording whose file is stored here (a link to one hosted elsewhere has no audio)."""
    return material.kind == Material.Kind.RECORDING and bool(material.file)


@transaction.atomic
def transcription_request(*, material: Material, by: Person | None = None) -> Transcription:
    """Queue the automatic transcription of ``material`` (a recording with a stored file).

    Creates the job, or starts a finished or failed one over (its chunks deleted); a job that is
    queued or running is left as it is. The step task is queued once the transaction commits.
    """
    if not transcribable(material):
        raise ValidationError(
            _(
                "Only a recording whose file is stored here can be transcribed automatically, "
                "not one hosted elsewhere."
            )
        )
    if not transcribe_enabled():
        raise ValidationError(_("Automatic transcripts are switched off on this installation."))
    job, created = Transcription.objects.select_for_update().get_or_create(material=material)
    if not created:
        if job.state in ACTIVE:
            return job
        job.chunks.all().delete()
        Transcription.objects.filter(pk=job.pk).update(
            state=State.QUEUED,
            problem=Problem.NONE,
            detail="",
            claimed_by="",
            duration_ms=None,
            next_start_ms=0,
            chunks_done=0,
            working_seconds=0,
            requested_at=timezone.now(),
            started_at=None,
            finished_at=None,
            updated_at=timezone.now(),
        )
        job.refresh_from_db()
    logger.info("Transcription of material %s queued%s.", material.pk, f" by {by.pk}" if by else "")
    transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _enqueue(transcription_id: int) -> None:
    STEP.enqueue(transcription_id=transcription_id)


def transcription_after_upload(*, material: Material) -> Transcription | None:
    """The automatic transcription of a just-uploaded recording, when transcription is on."""
    if not transcribe_enabled() or not transcribable(material):
        return None
    return transcription_request(material=material, by=material.added_by)


# -- the worker's step ----------------------------------------------------------------------------


def _claim_id() -> str:
    # The worker's lease id (so a claim of a killed worker is seen to be dead), and a random
    # part per run: two runs in one process are two claims.
    return f"{current_worker_id()}|{get_random_string(8)}"


def _held(job: Transcription, *, now: datetime) -> bool:
    """Whether a live run holds the job: a worker whose lease is live (however slow its chunk),
    or, for a run without a lease (a web process running tasks at once), one that wrote the row
    within ``STALE_AFTER``."""
    if not job.claimed_by:
        return False
    worker_id = job.claimed_by.rsplit("|", 1)[0]
    if not worker_id:
        return job.updated_at >= now - STALE_AFTER
    return WorkerLease.objects.filter(
        worker_id=worker_id, heartbeat_at__gte=now - lease_period(), lost_at__isnull=True
    ).exists()


def _claim(transcription_id: int) -> tuple[Transcription, str] | None:
    """Take the job (see the module's "Claims"); None when it is not to be run by us."""
    job = (
        Transcription.objects.select_related("material__session")
        .filter(pk=transcription_id, state__in=ACTIVE)
        .first()
    )
    if job is None:
        return None
    now = timezone.now()
    if _held(job, now=now):
        return None
    me = _claim_id()
    taken = Transcription.objects.filter(
        pk=job.pk, state__in=ACTIVE, claimed_by=job.claimed_by, updated_at=job.updated_at
    ).update(
        claimed_by=me,
        attempts=F("attempts") + 1,
        state=State.DECODING if job.state == State.QUEUED else job.state,
        started_at=job.started_at or now,
        updated_at=now,
    )
    if not taken:
        return None  # someone else was quicker
    job.refresh_from_db()
    return job, me


def _mine(job: Transcription, me: str) -> QuerySet[Transcription]:
    return Transcription.objects.filter(pk=job.pk, claimed_by=me, state__in=ACTIVE)


def _set(job: Transcription, me: str, **fields: Any) -> None:
    """A conditional write on our claimed job (``updated_at`` by hand: update() skips auto_now)."""
    if not _mine(job, me).update(updated_at=timezone.now(), **fields):
        raise ClaimLost
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(job, name, value)


def transcription_step(*, transcription_id: int) -> bool:
    """Run the job for up to ``KSHARE_TRANSCRIBE_STEP_SECONDS`` (see the module).

    Returns True when it did work (finished, failed, or queued its continuation), False when the
    job was not ours to run (finished, gone, or claimed by a live run).
    """
    claimed = _claim(transcription_id)
    if claimed is None:
        return False
    job, me = claimed
    try:
        _run(job, me)
    except ClaimLost:
        logger.warning("Transcription %s was taken over by another run; this one stops.", job.pk)
        return False
    except SpeechError as exc:
        _fail(job, me, problem=exc.code, detail=exc.message)
    except RecogniserUnavailable as exc:
        logger.error("Transcription %s: the recogniser is unavailable: %s", job.pk, exc)
        _fail(job, me, problem=Problem.ERROR, detail=str(exc))
    except Exception as exc:
        # Anything else (a recogniser's or decoder's own error, a bucket gone): the generic
        # problem for the page, the traceback for the administrator.
        logger.exception("Transcription %s failed", job.pk)
        _fail(job, me, problem=Problem.ERROR, detail=f"{type(exc).__name__}: {exc}")
    if job.state not in ACTIVE:  # it ended here: done, failed, or a person's transcript kept
        _copies_drop(job)
    return True


def _human_transcript(material: Material) -> bool:
    return (
        Transcript.objects.filter(material=material)
        .exclude(source=Transcript.Source.AUTOMATIC)
        .exists()
    )


def _run(job: Transcription, me: str) -> None:
    from kshare.library.speech import audio, recognisers

    material = job.material
    if not transcribe_enabled():
        raise RecogniserUnavailable(
            "Automatic transcription was switched off (KSHARE_TRANSCRIBE=off) before this job ran."
        )
    if _human_transcript(material):
        _keep_human(job, me)
        return
    deadline = time.monotonic() + settings.KSHARE_TRANSCRIBE_STEP_SECONDS
    path = _local_path(job)
    started = time.monotonic()
    info = audio.probe(path)
    if info.duration_ms > settings.KSHARE_TRANSCRIBE_MAX_MINUTES * 60_000:
        raise SpeechError(
            "too_long",
            "The recording lasts %(minutes)s minutes; KSHARE_TRANSCRIBE_MAX_MINUTES is %(limit)s.",
            minutes=round(info.duration_ms / 60_000),
            limit=settings.KSHARE_TRANSCRIBE_MAX_MINUTES,
        )
    recogniser = recognisers.recogniser_for(
        backend=settings.KSHARE_TRANSCRIBE,
        model_dir=settings.KSHARE_TRANSCRIBE_MODEL_DIR,
        vocabulary_text=session_vocabulary(material),
        language="en",  # the shipped models are English; sessions carry no language yet
    )
    if job.chunks_done == 0:
        # Chosen from the first chunk before it is transcribed, and kept on the row: every
        # later step (and a worker resuming after a crash) hears with the same choice.
        first = audio.read_chunk(
            path,
            start_ms=0,
            max_ms=settings.KSHARE_TRANSCRIBE_CHUNK_SECONDS * 1000,
            sample_rate=recogniser.sample_rate,
        )
        job.calibration = recogniser.calibrate(first.samples)[:20] if len(first.samples) else ""
    else:
        recogniser.calibrated(job.calibration)
    _set(
        job,
        me,
        state=State.TRANSCRIBING,
        duration_ms=info.duration_ms,
        recogniser=recogniser.name[:80],
        language=recogniser.language[:20],
        calibration=job.calibration,
        working_seconds=F("working_seconds") + (time.monotonic() - started),
    )
    last = job.next_start_ms >= info.duration_ms and job.chunks_done > 0
    while not last:
        started = time.monotonic()
        chunk = audio.read_chunk(
            path,
            start_ms=job.next_start_ms,
            max_ms=settings.KSHARE_TRANSCRIBE_CHUNK_SECONDS * 1000,
            sample_rate=recogniser.sample_rate,
        )
        words: list[Word] = []
        if len(chunk.samples) and not audio.is_silent(chunk.samples):
            words = recogniser.transcribe(chunk.samples, offset_ms=chunk.start_ms)
        _store_chunk(job, me, chunk.start_ms, chunk.end_ms, words, time.monotonic() - started)
        last = chunk.last
        if not last and time.monotonic() >= deadline:
            _continue_later(job, me)
            return
    _finish(job, me, recogniser_name=recogniser.name, language=recogniser.language)


@transaction.atomic
def _store_chunk(
    job: Transcription, me: str, start_ms: int, end_ms: int, words: list[Word], seconds: float
) -> None:
    # The chunk and the job's progress together: a killed worker resumes after the last one
    # stored. Conditional on where we started, so a run that lost its claim writes nothing.
    index = job.chunks_done
    moved = (
        _mine(job, me)
        .filter(next_start_ms=start_ms, chunks_done=index)
        .update(
            next_start_ms=max(end_ms, start_ms + 1),
            chunks_done=index + 1,
            working_seconds=F("working_seconds") + seconds,
            updated_at=timezone.now(),
        )
    )
    if not moved:
        raise ClaimLost
    TranscriptionChunk.objects.create(
        transcription=job,
        index=index,
        start_ms=start_ms,
        end_ms=end_ms,
        words=[[w.start_ms, w.end_ms, w.text, w.speaker] for w in words],
    )
    job.next_start_ms = max(end_ms, start_ms + 1)
    job.chunks_done = index + 1
    job.working_seconds += seconds


def _continue_later(job: Transcription, me: str) -> None:
    """Give the claim up and queue the continuation (the step's budget is used)."""
    with transaction.atomic():
        _set(job, me, claimed_by="")
        transaction.on_commit(partial(_enqueue, job.pk))


def _words(job: Transcription) -> list[Word]:
    words: list[Word] = []
    for chunk in TranscriptionChunk.objects.filter(transcription=job).order_by("index"):
        words.extend(Word(int(s), int(e), str(t), str(sp)) for s, e, t, sp in chunk.words)
    return words


def _finish(job: Transcription, me: str, *, recogniser_name: str, language: str) -> None:
    _set(job, me, state=State.INDEXING)
    words = _words(job)
    if not words:
        raise SpeechError("silence", "No words were recognised in the whole recording.")
    cues = words_to_cues(words)
    with transaction.atomic():
        # The material's lock (transcript_save takes it too) orders us after a human upload.
        Material.objects.select_for_update().filter(pk=job.material_id).first()
        if _human_transcript(job.material):
            _keep_human(job, me)
            return
        services_transcripts.transcript_save(
            material=job.material,
            parsed=ParsedTranscript(source=Transcript.Source.AUTOMATIC, cues=cues),
            language=language,
            recogniser=recogniser_name[:80],
        )
        _set(job, me, state=State.DONE, claimed_by="", finished_at=timezone.now())
        job.chunks.all().delete()
    logger.info("Transcription %s done: %s cues from %s words.", job.pk, len(cues), len(words))


def _keep_human(job: Transcription, me: str) -> None:
    with transaction.atomic():
        _set(job, me, state=State.DONE, claimed_by="", finished_at=timezone.now())
        job.chunks.all().delete()
    logger.info("Transcription %s: the recording has a person's transcript; kept.", job.pk)


def _fail(job: Transcription, me: str, *, problem: str, detail: str) -> None:
    try:
        with transaction.atomic():
            _set(
                job,
                me,
                state=State.FAILED,
                problem=problem,
                detail=detail,
                claimed_by="",
                finished_at=timezone.now(),
            )
            job.chunks.all().delete()
    except ClaimLost:
        return
    logger.warning("Transcription %s failed (%s): %s", job.pk, problem, detail)


def _local_path(job: Transcription) -> str:
    """A path to the recording: the stored file itself on a local disk; on object storage this
    machine's copy of it (see below)."""
    storage, name = job.material.file.storage, job.material.file.name or ""
    try:
        return storage.path(name)
    except NotImplementedError:
        return str(_copy(storage, name, _copies_dir() / _copy_name(job)))


# -- the recording's local copy (object storage) --------------------------------------------------
#
# A job runs in many steps (one per KSHARE_TRANSCRIBE_STEP_SECONDS): downloading a two-hour
# recording for each one would fetch it over a hundred times. So the copy outlives the step, in a
# folder of this machine's temporary directory, named for the job and the stored name; a step on
# another machine makes its own. It is removed when the job ends here, and the tick removes copies
# of jobs abandoned elsewhere (untouched for COPY_KEPT).

COPY_KEPT = timedelta(days=2)


def _copies_folder() -> Path:
    return Path(tempfile.gettempdir()) / "kshare-transcribe"


def _copies_dir() -> Path:
    """The folder of the copies, made if missing (only we may read it)."""
    folder = _copies_folder()
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_uid != os.getuid():  # a shared /tmp: never read another user's files
        raise PermissionError(f"{folder} belongs to another user; remove it or set TMPDIR.")
    return folder


def _copy_name(job: Transcription) -> str:
    # The job and the stored name (two installations on one machine may both have a job 1).
    name = job.material.file.name or ""
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{job.pk}-{digest}{os.path.splitext(name)[1]}"


def _copy(storage: Storage, name: str, path: Path) -> Path:
    """``path``, a whole copy of the stored file ``name``: reused when its size is the stored
    one, else streamed in blocks (never the whole file in memory) to a temporary name and renamed
    into place, so a download killed half-way is never taken for a whole copy."""
    if path.exists() and path.stat().st_size == storage.size(name):
        path.touch()  # in use: not stale for the tick
        return path
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f"{path.name}.", delete=False) as part:
        try:
            with storage.open(name, "rb") as source:
                shutil.copyfileobj(source, part, DOWNLOAD_BLOCK)
        except BaseException:
            os.unlink(part.name)
            raise
    os.replace(part.name, path)
    return path


def _copies_drop(job: Transcription) -> None:
    """Remove this machine's copy for the job (it ended), and any download of it cut short."""
    for path in _copies_folder().glob(f"{_copy_name(job)}*"):
        path.unlink(missing_ok=True)


def transcription_copies_sweep(*, now: datetime | None = None) -> int:
    """Remove the copies not used for ``COPY_KEPT`` (jobs abandoned, downloads killed); returns
    how many."""
    folder = _copies_folder()
    if not folder.is_dir():
        return 0
    before = ((now or timezone.now()) - COPY_KEPT).timestamp()
    removed = 0
    for path in folder.iterdir():
        with suppress(FileNotFoundError):  # removed or renamed meanwhile: not ours to count
            if path.stat().st_mtime < before:
                path.unlink()
                removed += 1
    return removed


def session_vocabulary(material: Material) -> str:
    """The words the talk is about: its title, abstract, tags and notes materials' text (the
    recogniser adapts its vocabulary to them)."""
    session = material.session
    parts = [session.title, session.abstract]
    parts += list(session.tags.values_list("name", flat=True))
    parts += list(
        Material.objects.filter(session=session, kind=Material.Kind.NOTES).values_list(
            "notes", flat=True
        )
    )
    parts += list(Material.objects.filter(session=session).values_list("title", flat=True))
    return "\n".join(part for part in parts if part)


# -- reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How far a job is: ``percent`` of the audio done, the estimated ``remaining_seconds`` (None
    before the first chunk: no speed known yet) and the state's label."""

    percent: int
    remaining_seconds: int | None
    label: str

    @property
    def remaining_text(self) -> str:
        if self.remaining_seconds is None:
            return _("estimating…")
        if self.remaining_seconds < 60:
            return _("less than a minute left")
        minutes = round(self.remaining_seconds / 60)
        return ngettext("about %(count)s minute left", "about %(count)s minutes left", minutes) % {
            "count": minutes
        }


def transcription_progress(job: Transcription) -> Progress:
    """The estimate: the time spent per second of audio so far, times the audio left."""
    duration = job.duration_ms or 0
    done = min(job.next_start_ms, duration) if duration else 0
    percent = min(100, done * 100 // duration) if duration else 0
    if job.state == State.DONE:
        percent = 100
    remaining: int | None = None
    if job.chunks_done and done and job.working_seconds > 0:
        per_audio_second = job.working_seconds / (done / 1000)
        remaining = round((duration - done) / 1000 * per_audio_second)
    return Progress(percent=percent, remaining_seconds=remaining, label=job.get_state_display())


def transcription_for(material: Material) -> Transcription | None:
    """The material's job (from a prefetch or select_related when loaded), or None."""
    try:
        return material.transcription
    except Transcription.DoesNotExist:
        return None


def materials_with_transcriptions(materials: QuerySet[Material]) -> QuerySet[Material]:
    """``materials`` with each one's job joined in (no query per recording)."""
    return materials.select_related("transcription")


# -- the tick -------------------------------------------------------------------------------------


def _pending_task_ids() -> set[int] | None:
    """The jobs a queued or running step task is for; None when the task backend cannot tell."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return None
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(
        task_path=STEP.task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).values_list("args_kwargs", flat=True)
    return {int(row["kwargs"]["transcription_id"]) for row in rows if row.get("kwargs")}


def transcriptions_resume(*, now: datetime | None = None) -> int:
    """Queue again the jobs that stopped moving (a web process that died between commit and
    enqueue, a task lost): active, not written for ``STALE_AFTER``, and no step task queued or
    running for them. Returns how many were queued. Idempotent: the claim runs each job once.
    Also removes this machine's stale copies of recordings (``transcription_copies_sweep``)."""
    now = now or timezone.now()
    transcription_copies_sweep(now=now)
    stuck = [
        job
        for job in Transcription.objects.filter(state__in=ACTIVE, updated_at__lt=now - STALE_AFTER)
        if not _held(job, now=now)
    ]
    if not stuck:
        return 0
    pending = _pending_task_ids() or set()
    queued = 0
    for job in stuck:
        if job.pk not in pending:
            _enqueue(job.pk)
            queued += 1
    return queued


# -- the page part --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptionStatus:
    """What ``library/_transcription_status.html`` shows for one recording."""

    material: Material
    job: Transcription | None
    has_transcript: bool
    progress: Progress | None

    @property
    def running(self) -> bool:
        """Still moving: the page polls."""
        return self.job is not None and self.job.state in ACTIVE

    @property
    def failed(self) -> bool:
        return self.job is not None and self.job.state == State.FAILED

    @property
    def done(self) -> bool:
        return self.job is not None and self.job.state == State.DONE

    @property
    def problem(self) -> str:
        return self.job.get_problem_display() if self.job is not None else ""

    @property
    def can_start(self) -> bool:
        """A "Transcribe automatically" button makes sense (for those who may edit)."""
        if not transcribe_enabled() or not transcribable(self.material):
            return False
        if self.job is None:
            return not self.has_transcript
        return self.failed or (self.done and not self.has_transcript)


def transcription_status(material: Material) -> TranscriptionStatus:
    """The status of ``material``'s automatic transcription, from what the page loaded
    (``materials_with_transcriptions`` and the transcript prefetch: no query of its own)."""
    job = transcription_for(material) if material.kind == Material.Kind.RECORDING else None
    return TranscriptionStatus(
        material=material,
        job=job,
        has_transcript=services_transcripts.transcript_for(material=material) is not None,
        progress=transcription_progress(job) if job is not None else None,
    )
