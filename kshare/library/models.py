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
    """The timed text of a recording (WebVTT or SRT upload, or pasted text without times)."""

    class Source(models.TextChoices):
        VTT = "vtt", "WebVTT"
        SRT = "srt", "SubRip (SRT)"
        TEXT = "text", _("Pasted text")

    material = models.OneToOneField(Material, on_delete=models.CASCADE, related_name="transcript")
    source = models.CharField(max_length=10, choices=Source.choices)
    language = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True, help_text="All cue texts, for search.")
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
