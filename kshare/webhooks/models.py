"""Webhook subscriptions and their deliveries.

A ``Webhook`` is created by an organiser (for a programme they organise) or an admin (for one
programme or every programme). Its ``secret`` signs every delivery (HMAC-SHA256), so it is
stored as given: a hash could not sign. Each event that matches makes one ``WebhookDelivery``
row, stored before anything is sent, so nothing is lost when the receiver is down.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kshare.core.models import ClaimedItem


class Event(models.TextChoices):
    SESSION_SCHEDULED = "session.scheduled", _("Session scheduled")
    SESSION_CANCELLED = "session.cancelled", _("Session cancelled")
    SESSION_HELD = "session.held", _("Session held")
    FEEDBACK_RECEIVED = "feedback.received", _("Feedback received")


URL_MAX_LENGTH = 500
ERROR_MAX_LENGTH = 2000


class Webhook(models.Model):
    url = models.URLField(max_length=URL_MAX_LENGTH, help_text="Receives a POST per event.")
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100, help_text="Signs the payloads (HMAC-SHA256).")
    events = models.JSONField(default=list, help_text="Event names, e.g. session.scheduled.")
    programme = models.ForeignKey(
        "programmes.Programme",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhooks",
        help_text="Only this programme's sessions; empty: every programme (admins only).",
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(ClaimedItem):
    """One event for one subscription; status, attempts, next_attempt_at, last_error and the
    claim come from ``ClaimedItem`` (the queue's columns)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook.url} ({self.status})"
