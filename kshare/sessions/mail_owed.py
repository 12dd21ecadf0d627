"""The deciding transaction's half of the calendar-mail loop: mark what is owed, enqueue the send.

A reschedule or a cancellation owes every invitee who was mailed (or is still owed a mail) the
new state (``Invitation.mail_due_at``), and every host theirs (``SessionHost.mail_due_at``).
These functions write the markers inside the transaction that decides, and enqueue the task that
sends them once it commits; building and sending is the other half (``invitation_mail``,
``host_mail``, run by ``tasks``), which never imports this module, so the loop has no circle.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from kshare.sessions.models import Invitation, Session, SessionHost
from kshare.sessions.tasks import host_mail_due_task, invitations_mail_changed_task


def invitations_mark_changed(*, session: Session) -> int:
    """After a reschedule or cancellation raised ``session.sequence``: everyone who was mailed,
    or is still owed a mail, is owed the new state. Call inside that transaction."""
    now = timezone.now()
    marked = (
        Invitation.objects.filter(session=session)
        .filter(Q(mailed_at__isnull=False) | Q(mail_due_at__isnull=False))
        .update(mail_due_at=Coalesce(F("mail_due_at"), Value(now), output_field=DateTimeField()))
    )
    transaction.on_commit(
        partial(invitations_mail_changed_task.enqueue, session.pk, session.sequence)
    )
    return marked


def hosts_mark_owed(*, session: Session, links: QuerySet[SessionHost] | None = None) -> int:
    """Every host of ``session`` (or only ``links``) is owed its current state from this
    transaction on: call inside the transaction that scheduled, moved or cancelled it."""
    now = timezone.now()
    rows = SessionHost.objects.filter(session=session) if links is None else links
    marked = rows.filter(mail_due_at__isnull=True).update(mail_due_at=now)
    transaction.on_commit(partial(host_mail_due_task.enqueue, session.pk))
    return marked
