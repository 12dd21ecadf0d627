"""The hosts' own calendar mails: "your session is scheduled", "new time", "cancelled".

Hosts and co-hosts are no invitees (they are never asked "Will you come?"), but their calendar
needs the session as much as anyone's: each gets the confirmation with the iCalendar REQUEST
(their PARTSTAT ACCEPTED) when the session is scheduled, an update with the next SEQUENCE when it
moves, and a CANCEL when it is cancelled. A co-host who accepts after the session was scheduled
gets the confirmation then.

Owed exactly as the invitation mails are (``kshare/sessions/invitation_mail.py``): the
transaction that schedules, reschedules or cancels marks ``SessionHost.mail_due_at``
(``mail_owed.hosts_mark_owed``); a task
enqueued on commit claims the marker (the UPDATE that clears it), reads the rows again and
queues the mail in the outbox, one transaction per host; the periodic sweep sends what a lost
task left owed. ``mailed_sequence`` keeps repeated marks harmless.

The mail itself is built by the invitation machinery (``invitation_mail._mail``), so the host's
message has the same MIME layout and calendar part as an invitee's; the host's own answer is
"yes" (an unsaved ``Invitation`` stands for it and is never stored).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from kshare.core.language import keeps_language, speak_to
from kshare.outbox.services import one_line
from kshare.sessions.invitation_mail import SWEEP_AFTER, SWEEP_BATCH, _mail, _when
from kshare.sessions.models import Invitation, SessionChange, SessionHost, State

logger = logging.getLogger(__name__)

# Mail kinds (also the template names under sessions/email/).
CONFIRMATION = "host_confirmation"
UPDATE = "host_update"
CANCELLED = "host_cancelled"
KINDS = (CONFIRMATION, UPDATE, CANCELLED)


@dataclass(frozen=True)
class HostSweepResult:
    sent: int
    expired: int


def _kind(link: SessionHost) -> str:
    """The mail ``link`` is owed now, or "" when their calendar already has this state."""
    session = link.session
    if not link.person.is_active:
        return ""
    if session.state == State.CANCELLED:
        # Never told of the session: nothing to take out of their calendar.
        if link.mailed_sequence is None or link.mailed_sequence == session.sequence:
            return ""
        return CANCELLED
    if not session.is_upcoming:
        return ""
    if link.mailed_sequence is None:
        return CONFIRMATION
    if link.mailed_sequence == session.sequence:
        return ""
    return UPDATE


@keeps_language
def host_mail_due_send(*, link_id: int) -> str:
    """Send the calendar mail the host link ``link_id`` is owed, if any; returns its kind or "".

    One transaction: the claim (clearing ``mail_due_at``), a fresh read, the outbox row.
    """
    with transaction.atomic():
        claimed = SessionHost.objects.filter(pk=link_id, mail_due_at__isnull=False).update(
            mail_due_at=None
        )
        if claimed != 1:  # sent by someone else, or nothing owed
            return ""
        link = SessionHost.objects.select_related("session__programme", "person").get(pk=link_id)
        kind = _kind(link)
        if not kind:
            return ""
        session, person = link.session, link.person
        speak_to(person)
        SessionHost.objects.filter(pk=link_id).update(mailed_sequence=session.sequence)
        # The host's own answer, for the calendar part: they come (never stored).
        own = Invitation(session=session, person=person, response=Invitation.Response.YES)
        when = _when(session, person.tzinfo)
        others = [
            other.person.display_name
            for other in session.host_links.select_related("person").exclude(pk=link_id)
        ]
        extra = {
            "role": link.get_role_display().lower(),
            "is_cohost": link.role == SessionHost.Role.COHOST,
            "cohosts": others,
        }
        if kind == CONFIRMATION:
            subject = gettext("Scheduled: your session “%(title)s” — %(when)s") % {
                "title": one_line(session.title),
                "when": when,
            }
            _mail(kind=kind, invitation=own, subject=subject, method="REQUEST", extra=extra)
        elif kind == UPDATE:
            subject = gettext("New time for your session “%(title)s” — %(when)s") % {
                "title": one_line(session.title),
                "when": when,
            }
            _mail(kind=kind, invitation=own, subject=subject, method="REQUEST", extra=extra)
        else:
            change = session.changes.filter(kind=SessionChange.Kind.CANCELLED).last()
            extra["reason"] = change.note if change else ""
            extra["cancelled_by"] = change.by.display_name if change and change.by else ""
            subject = gettext("Cancelled: your session “%(title)s” — %(when)s") % {
                "title": one_line(session.title),
                "when": when,
            }
            _mail(kind=kind, invitation=own, subject=subject, method="CANCEL", extra=extra)
        return kind


def _each(ids: Iterable[int]) -> int:
    """One transaction per host; a mail that cannot be built is logged and left owed."""
    sent = 0
    for link_id in ids:
        try:
            sent += bool(host_mail_due_send(link_id=link_id))
        except Exception:
            logger.exception("Could not queue the mail owed to host link %s", link_id)
    return sent


def hosts_mail_due(*, session_id: int) -> int:
    """Send the calendar mails owed to the hosts of ``session_id``; returns how many."""
    owed = SessionHost.objects.filter(session_id=session_id, mail_due_at__isnull=False)
    return _each(list(owed.order_by("mail_due_at", "id").values_list("pk", flat=True)))


def hosts_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> HostSweepResult:
    """The periodic safety net: send every host mail owed for longer than ``SWEEP_AFTER``.

    Markers of sessions that are over are dropped (nothing left to tell).
    """
    now = now or timezone.now()
    expired = SessionHost.objects.filter(session__end__lte=now, mail_due_at__isnull=False).update(
        mail_due_at=None
    )
    owed = SessionHost.objects.filter(mail_due_at__lte=now - SWEEP_AFTER).order_by(
        "mail_due_at", "id"
    )
    sent = _each(list(owed.values_list("pk", flat=True)[:batch]))
    if sent:
        logger.warning("The host-mail sweep sent %s mails a task had not sent.", sent)
    return HostSweepResult(sent=sent, expired=expired)
