"""Chat channels and the posts kshare makes to them.

A ``ChatChannel`` is an incoming webhook of a chat platform that an organiser connected, for one
programme or (admins) for the whole installation. The webhook's URL is the credential — whoever
has it may post to the channel — so it is stored encrypted (``url_sealed``, see
``kshare/chat/sealing.py``) and never shown back: pages show ``url_hint`` (the host and the
last characters). Each announcement is one ``ChatPost`` per channel, stored before anything is
sent and sent through the claim/retry queue (``kshare/core/queue.py``); ``key`` names what the
post is about, unique per channel, so each reminder, notice and digest goes out once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from kshare.core.models import ClaimedItem


class Platform(models.TextChoices):
    SLACK = "slack", "Slack"
    MATTERMOST = "mattermost", "Mattermost"
    TEAMS = "teams", _("Microsoft Teams (workflow)")
    GOOGLE_CHAT = "google_chat", "Google Chat"


class PostKind(models.TextChoices):
    SCHEDULED = "scheduled", _("Session scheduled")
    RESCHEDULED = "rescheduled", _("Session moved")
    CANCELLED = "cancelled", _("Session cancelled")
    REMINDER = "reminder", _("Reminder the day before")
    STARTING = "starting", _("Starting in 15 minutes")
    MATERIALS = "materials", _("Recording and notes available")
    DIGEST = "digest", _("Weekly digest")
    TEST = "test", _("Test message")


class ChatChannel(models.Model):
    platform = models.CharField(max_length=20, choices=Platform.choices)
    name = models.CharField(max_length=100, help_text="How you call the channel, e.g. #tech-talks.")
    # The webhook URL, encrypted (Fernet, key derived from SECRET_KEY): never shown back.
    url_sealed = models.TextField()
    # What pages show instead: the host and the URL's last four characters.
    url_hint = models.CharField(max_length=300)
    programme = models.ForeignKey(
        "programmes.Programme",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_channels",
        help_text="Only this programme's sessions; empty: every programme (admins only).",
    )
    timezone = models.CharField(max_length=64, default="UTC")
    active = models.BooleanField(default=True)
    # Why kshare stopped posting (the platform said the webhook is gone); empty while active.
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="chat_channels",
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.name}"


class ChatPost(ClaimedItem):
    """One message to one channel; the queue's columns come from ``ClaimedItem``."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(max_length=20, choices=PostKind.choices)
    session = models.ForeignKey(
        "talks.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the post is about (``scheduled:<session>:<sequence>``, ``digest:<ISO week>`` …):
    # one post per channel and key, so a reminder or a digest is never posted twice.
    key = models.CharField(max_length=120)
    # The platform's own JSON body, built when the post is made (every attempt sends it).
    payload = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="chat_post_once_per_channel")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="chat_post_due")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel} ({self.status})"
