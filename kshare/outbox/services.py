"""The outbox: store every outgoing message first, then send it from a task.

``mail_queue`` is the one way kshare sends mail. It stores the message and enqueues
``outbox_send``; with the database task backend the task row is written in the same transaction,
so a message and its task appear together or not at all.
"""

from __future__ import annotations

import base64
import logging
from email.mime.base import MIMEBase

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from kshare.outbox.models import OutboxMessage

logger = logging.getLogger(__name__)


def _attachment_parts(message: EmailMessage) -> list[dict[str, str]]:
    parts = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            raise ValueError("The outbox stores (filename, content, mimetype) attachments only.")
        filename, content, mimetype = attachment
        raw = content.encode() if isinstance(content, str) else bytes(content)
        parts.append(
            {
                "filename": filename or "",
                "content_b64": base64.b64encode(raw).decode("ascii"),
                "mimetype": mimetype or "application/octet-stream",
            }
        )
    return parts


@transaction.atomic
def mail_queue(message: EmailMessage, *, kind: str) -> OutboxMessage:
    """Store ``message`` in the outbox and enqueue its delivery; returns the stored row."""
    html = ""
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            html = str(content)
    stored = OutboxMessage.objects.create(
        kind=kind,
        from_email=message.from_email or "",
        to=list(message.to),
        cc=list(message.cc),
        reply_to=list(message.reply_to),
        subject=str(message.subject),
        body=str(message.body),
        html=html,
        attachments=_attachment_parts(message),
        headers=dict(message.extra_headers),
    )
    from kshare.outbox.tasks import outbox_send

    outbox_send.enqueue(stored.pk)
    return stored


def message_build(stored: OutboxMessage) -> EmailMultiAlternatives:
    """Rebuild the Django message from its stored parts."""
    message = EmailMultiAlternatives(
        subject=stored.subject,
        body=stored.body,
        from_email=stored.from_email or None,
        to=stored.to,
        cc=stored.cc,
        reply_to=stored.reply_to,
        headers=stored.headers,
    )
    if stored.html:
        message.attach_alternative(stored.html, "text/html")
    for part in stored.attachments:
        content = base64.b64decode(part["content_b64"])
        mimetype = part["mimetype"]
        if mimetype.startswith("text/"):
            message.attach(part["filename"], content.decode("utf-8"), mimetype)
        else:
            message.attach(part["filename"], content, mimetype)
    return message


def outbox_deliver(*, message_id: int) -> bool:
    """Send one stored message if it is still queued; True when it was sent now.

    The row is claimed with a conditional UPDATE, so two workers never send it twice.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.QUEUED
    ).update(status=OutboxMessage.Status.SENDING, claimed_at=now)
    if claimed != 1:
        return False
    stored = OutboxMessage.objects.get(pk=message_id)
    try:
        message_build(stored).send()
    except Exception as error:  # SMTP and network errors alike: kept, retried later
        logger.warning("Sending outbox message %s failed: %s", message_id, error)
        OutboxMessage.objects.filter(pk=message_id).update(
            status=OutboxMessage.Status.QUEUED,
            attempts=stored.attempts + 1,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            claimed_at=None,
        )
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        status=OutboxMessage.Status.SENT,
        attempts=stored.attempts + 1,
        sent_at=timezone.now(),
        last_error="",
    )
    return True
