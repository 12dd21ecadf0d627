from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from kshare.core.models import ClaimedItem


class OutboxMessage(ClaimedItem):
    """One outgoing e-mail, stored before it is sent so that nothing is ever dropped.

    The message is kept in parts (not as rendered MIME) so that it is rebuilt as an
    ``EmailMultiAlternatives`` when sent: text body, optional HTML alternative, other text
    alternatives (an invitation's ``text/calendar; method=REQUEST``), attachments.
    """

    kind = models.CharField(max_length=60, db_index=True, help_text="The message template.")
    from_email = models.CharField(max_length=320, blank=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=998)
    body = models.TextField()
    html = models.TextField(blank=True)
    # After the HTML, in order: [{"mimetype": "text/calendar; method=REQUEST", "content": ...}]
    alternatives = models.JSONField(default=list, blank=True)
    # [{"filename": ..., "content_b64": ..., "mimetype": ...}]
    attachments = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # status, attempts, last_error, claimed_at, claimed_by: ClaimedItem (the queue's columns).
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} → {', '.join(self.to)}: {self.subject}"


class MailOptOut(models.Model):
    """A category of notification mail (``kshare/outbox/categories.py``) a person turned off.

    No row means the category is on. ``mail_queue`` reads it for every notification mail, so a
    sender never has to remember to.
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_opt_outs"
    )
    category = models.CharField(max_length=30)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "category"], name="mail_opt_out_once")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: no {self.category} mail"
