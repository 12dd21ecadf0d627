from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
NOTE_MAX_LENGTH = 500


class TopicRequest(models.Model):
    """ "I'd love a session on dbt": a wished-for topic that collects +1s and volunteers."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("topic request status", "Open")
        SCHEDULED = "scheduled", pgettext_lazy("topic request status", "Scheduled")
        CLOSED = "closed", pgettext_lazy("topic request status", "Closed")

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(
        blank=True, max_length=DESCRIPTION_MAX_LENGTH, help_text="Markdown."
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_requests"
    )
    tags = models.ManyToManyField("tags.Tag", blank=True, related_name="topic_requests")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    # The session that answers the request (proposed from it, or linked when proposing).
    session = models.ForeignKey(
        "talks.Session",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="topic_requests",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("topics:detail", args=[self.pk])


class TopicVote(models.Model):
    """A +1: one per person and request (the unique constraint makes double clicks harmless)."""

    request = models.ForeignKey(TopicRequest, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_votes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "person"], name="topic_vote_unique")
        ]

    def __str__(self) -> str:
        return f"+1 by {self.person} on {self.request}"


class TopicVolunteer(models.Model):
    """ "I could host this", with an optional note."""

    request = models.ForeignKey(TopicRequest, on_delete=models.CASCADE, related_name="volunteers")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_volunteering"
    )
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "person"], name="topic_volunteer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} could host {self.request}"


class TopicNotification(models.Model):
    """A "your topic is scheduled" mail that was sent: at most one per person and session."""

    request = models.ForeignKey(
        TopicRequest, on_delete=models.CASCADE, related_name="notifications"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey("talks.Session", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="topic_notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} told about {self.session}"
