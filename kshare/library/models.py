from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def material_upload_to(instance: Material, filename: str) -> str:
    # The stored name never reuses the uploader's file name (it may carry anything); the
    # original name is kept in ``filename`` for downloads.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"materials/{instance.session_id}/{timezone.now():%Y%m%d%H%M%S%f}.{extension[:10]}"


class Material(models.Model):
    """Something attached to a session: a recording (file or link), slides, notes, a link."""

    class Kind(models.TextChoices):
        RECORDING = "recording", _("Recording")
        SLIDES = "slides", _("Slides")
        NOTES = "notes", _("Notes")
        LINK = "link", _("Link")

    session = models.ForeignKey("talks.Session", on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=material_upload_to, max_length=300, blank=True)
    filename = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name.")
    content_type = models.CharField(
        max_length=100, blank=True, help_text="Detected from the content, not the name."
    )
    size = models.PositiveBigIntegerField(default=0)
    url = models.URLField(
        max_length=1000, blank=True, help_text="For links and external recordings."
    )
    notes = models.TextField(blank=True, max_length=200_000, help_text="Markdown (for notes).")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "kind"], name="material_session_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class Transcript(models.Model):
    """The timed text of a recording: a WebVTT or SRT upload, pasted text without times, or the
    worker's automatic transcript (``Source.AUTOMATIC`` until a person replaces or edits it)."""

    class Source(models.TextChoices):
        VTT = "vtt", "WebVTT"
        SRT = "srt", "SubRip (SRT)"
        TEXT = "text", _("Pasted text")
        AUTOMATIC = "auto", _("Automatic")

    material = models.OneToOneField(Material, on_delete=models.CASCADE, related_name="transcript")
    source = models.CharField(max_length=10, choices=Source.choices)
    language = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True, help_text="All cue texts, for search.")
    recogniser = models.CharField(
        max_length=80, blank=True, help_text="Which speech recogniser wrote it (automatic only)."
    )
    # [{"start_ms": int, "end_ms": int, "title": str}, ...] in time order: the transcript's
    # topical segments (kshare.library.speech.chapters), derived whenever the cues change.
    chapters = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Transcript of {self.material}"


class Cue(models.Model):
    """One timed line of a transcript (times in milliseconds; null for pasted text)."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="cues")
    position = models.PositiveIntegerField()
    start_ms = models.PositiveBigIntegerField(null=True, blank=True)
    end_ms = models.PositiveBigIntegerField(null=True, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["transcript", "position"], name="cue_position_unique")
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Transcription(models.Model):
    """The worker's automatic transcription of a recording: its state, progress and problem.

    Resumable: the audio is transcribed in chunks (``TranscriptionChunk``), each stored as it is
    done, so a worker that dies goes on from ``next_start_ms`` (kshare.library.transcription).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DECODING = "decoding", _("Decoding the audio")
        TRANSCRIBING = "transcribing", _("Transcribing")
        INDEXING = "indexing", _("Indexing")
        DONE = "done", _("Transcript ready")
        FAILED = "failed", _("Failed")

    class Problem(models.TextChoices):
        NONE = "", _("None")
        NO_AUDIO = "no_audio", _("The recording has no audio track.")
        SILENCE = "silence", _("The recording is silent: there is no speech to transcribe.")
        CORRUPT = "corrupt", _("The recording's file is damaged and cannot be decoded.")
        UNSUPPORTED = "unsupported", _("The recording's audio is in a format kshare cannot decode.")
        TOO_LONG = "too_long", _("The recording is longer than this installation transcribes.")
        ERROR = "error", _("The transcription failed; an administrator can see why in the log.")

    material = models.OneToOneField(
        Material, on_delete=models.CASCADE, related_name="transcription"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    problem = models.CharField(max_length=20, choices=Problem.choices, default="", blank=True)
    detail = models.TextField(blank=True, help_text="What went wrong, in English, for admins.")
    recogniser = models.CharField(max_length=80, blank=True)
    language = models.CharField(max_length=20, blank=True)
    calibration = models.CharField(
        max_length=20,
        blank=True,
        help_text=(
            "What the recogniser chose from the recording's first chunk before transcribing it "
            "(pocketsphinx: the speaker's frequency warp), reused by every later step."
        ),
    )
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    next_start_ms = models.PositiveBigIntegerField(
        default=0, help_text="Where the next chunk starts: everything before it is transcribed."
    )
    chunks_done = models.PositiveIntegerField(default=0)
    working_seconds = models.FloatField(
        default=0, help_text="Time spent decoding and recognising so far, for the estimate."
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Runs of the worker's step.")
    claimed_by = models.CharField(
        max_length=100,
        blank=True,
        help_text="The run working on it (worker lease id|run); empty when none is.",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["state", "updated_at"], name="transcription_state")]

    def __str__(self) -> str:
        return f"Transcription of {self.material} ({self.state})"


class TranscriptionChunk(models.Model):
    """One transcribed stretch of a recording's audio: the words heard in it, with times.

    ``words`` is a list of ``[start_ms, end_ms, text, speaker]`` (speaker "" when the
    recogniser tells none), times from the start of the recording.
    """

    transcription = models.ForeignKey(
        Transcription, on_delete=models.CASCADE, related_name="chunks"
    )
    index = models.PositiveIntegerField()
    start_ms = models.PositiveBigIntegerField()
    end_ms = models.PositiveBigIntegerField()
    words = models.JSONField(default=list)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(
                fields=["transcription", "index"], name="transcription_chunk_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Chunk {self.index} of {self.transcription_id}"


class CatchUpSignal(models.Model):
    """A person watched a session's material, or is not interested in catching up on it.

    Both are recommender signals as well as catch-up feed filters.
    """

    class Kind(models.TextChoices):
        WATCHED = "watched", _("Watched")
        NOT_INTERESTED = "not_interested", _("Not interested")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="catchup_signals"
    )
    session = models.ForeignKey(
        "talks.Session", on_delete=models.CASCADE, related_name="catchup_signals"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "session", "kind"], name="catchup_signal_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display().lower()} {self.session}"


class CatchUpSubscription(models.Model):
    """Whether a person gets the weekly catch-up e-mail, and when it last went out."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="catchup_subscription"
    )
    weekly_email = models.BooleanField(default=False)
    last_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Catch-up e-mail for {self.person}: {'on' if self.weekly_email else 'off'}"
