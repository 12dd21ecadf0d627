"""The invitation mails — invitation, new time, cancellation, "a seat opened up" — and how none
is lost when a worker dies.

What a person is owed is written on their invitation row, in the transaction that decided it:
``mail_due_at`` (their calendar should show the session's current state: the first invitation,
or after a reschedule or a cancellation the next SEQUENCE) and ``promoted_mail_due_at`` (their
waitlisted "yes" now holds a seat); the writes that decide mark them (``invitations``,
``mail_owed``). A task enqueued on commit (``tasks``, which calls this module) sends them at
once; the periodic sweep (``invitations_sweep``) sends whatever is still owed a minute later —
the task was lost with its worker, or its worker was killed half-way through a batch of 65.

Each mail is one transaction: the UPDATE that clears the marker (the claim: of two workers, the
one whose UPDATE changes the row sends), then the rows are read again and the mail goes to the
outbox (``mail_queue``), which delivers it at least once with a stable Message-ID. A task and the
sweep racing for the same invitation therefore send one mail; a crash before the commit leaves
the marker, and the mail is sent later.

The claim comes before the read on purpose: a reschedule marks every invitation that was mailed
*or is owed a mail*, so an UPDATE that races the claim either waits for it and marks the row
again (then the new time follows) or commits first (then the claim's read sees the new time).
``mailed_sequence`` (the SEQUENCE last mailed) makes repeated marks harmless: an invitee whose
calendar already has the current state is sent nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import MIMEPart
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import DateTimeField, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from kshare.core.ical import calendar_bytes, calendar_new
from kshare.core.language import keeps_language, speak_to, when
from kshare.outbox.services import mail_queue, one_line
from kshare.sessions.ical import session_chairs, session_event
from kshare.sessions.models import Invitation, Session, SessionChange, SessionHost, State
from kshare.sessions.rsvp_tokens import rsvp_link
from kshare.sessions.selectors import invitation_answer

logger = logging.getLogger(__name__)

# The sweep leaves a marker this long to the task enqueued with it (racing it would be harmless,
# only wasted work).
SWEEP_AFTER = timedelta(minutes=1)
# At most this many invitations per kind and sweep; the next sweep takes the rest.
SWEEP_BATCH = 500
ICS_FILENAME = "invite.ics"

PARTSTAT: dict[str, str] = {
    Invitation.Response.PENDING: "NEEDS-ACTION",
    Invitation.Response.YES: "ACCEPTED",
    Invitation.Response.MAYBE: "TENTATIVE",
    Invitation.Response.NO: "DECLINED",
}


@dataclass(frozen=True)
class SweepResult:
    calendar: int  # invitation, new-time and cancellation mails queued
    promoted: int  # "a seat opened up" mails queued
    expired: int  # markers dropped: the session is over, there is nothing left to tell


# -- the mails ------------------------------------------------------------------------------------


def _when(session: Session, tz: ZoneInfo) -> str:
    assert session.start is not None and session.end is not None
    start, end = session.start.astimezone(tz), session.end.astimezone(tz)
    # The day as the active language writes it (strftime's names are English).
    dash = "\N{EN DASH}"
    start_day, end_day = when(start, tz, time=False), when(end, tz, time=False)
    if start.date() == end.date():
        text = f"{start_day}, {start:%H:%M}{dash}{end:%H:%M}"
    else:
        text = f"{start_day} {start:%H:%M} {dash} {end_day} {end:%H:%M}"
    return f"{text} ({tz.key})"


def _ics(session: Session, invitation: Invitation, method: str) -> bytes:
    person = invitation.person
    cal = calendar_new(name=session.title, method=method)
    partstat = PARTSTAT.get(invitation.response, "NEEDS-ACTION")
    if invitation_answer(invitation) == "waitlisted":
        partstat = "TENTATIVE"
    # The hosts are in every invitation as chairs; the other invitees are in none (nobody's
    # address goes to everyone invited).
    chairs = session_chairs(session)
    attendees = [(person.email, person.display_name, partstat)]
    if any(c[0].lower() == person.email.lower() for c in chairs):
        attendees = []  # a host's own mail (host_mail.py): a chair, never asked to answer
    else:
        chairs = [c for c in chairs if c[0].lower() != person.email.lower()]
    cal.add_component(
        session_event(session, cancelled=method == "CANCEL", attendees=attendees, chairs=chairs)
    )
    return calendar_bytes(cal)


def _mail(
    *,
    kind: str,
    invitation: Invitation,
    subject: str,
    method: str | None = None,
    extra: dict | None = None,
) -> None:
    session, person = invitation.session, invitation.person
    rsvp = {
        value: rsvp_link(invitation, value)
        for value in Invitation.Response.values
        if value != Invitation.Response.PENDING
    }
    context = {
        "person": person,
        "session": session,
        "programme": session.programme,
        "when": _when(session, person.tzinfo),
        "session_link": settings.SITE_URL + session.get_absolute_url(),
        "rsvp": rsvp,
        "links": [(label, rsvp[value]) for value, label in Invitation.Response.choices[1:]],
        "answer": invitation.get_response_display(),
        "answered": invitation.response != Invitation.Response.PENDING,
        "site_name": settings.KSHARE_ORGANISATION_NAME,
        "subject": subject,
        **(extra or {}),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"sessions/email/{kind}.txt", context),
        to=[person.email],
    )
    message.attach_alternative(
        render_to_string(f"sessions/email/{kind}.html", context), "text/html"
    )
    if method:
        # Laid out as Outlook and Google send invitations: the calendar is the third
        # alternative (text, HTML, text/calendar; method=…), which clients apply as an
        # invitation, an update or a cancellation; the same file is attached as invite.ics
        # for clients (and people) that look for a file.
        ics = _ics(session, invitation, method)
        message.attach_alternative(ics.decode(), f"text/calendar; method={method}")
        attachment = MIMEPart()
        attachment.set_content(
            ics,
            maintype="application",
            subtype="ics",
            disposition="attachment",
            filename=ICS_FILENAME,
            params={"name": ICS_FILENAME},
        )
        message.attach(attachment)
    mail_queue(message, kind=kind)


def _fresh(invitation_id: int) -> Invitation:
    return Invitation.objects.select_related("session__programme", "person", "invited_by").get(
        pk=invitation_id
    )


def _calendar_kind(invitation: Invitation) -> str:
    """ "invitation", "update", "cancelled", or "" when there is nothing to tell them."""
    session = invitation.session
    first = invitation.mailed_at is None
    if not invitation.person.is_active:
        return ""
    if SessionHost.objects.filter(session=session, person=invitation.person).exists():
        # Invited before they became a co-host: hosts get their own mails (host_mail.py).
        return ""
    if session.state == State.CANCELLED:
        # Never told of the session: nothing to take out of their calendar.
        if first or invitation.mailed_sequence == session.sequence:
            return ""
        return "cancelled"
    if not session.is_upcoming:
        return ""
    if first:
        return "invitation"
    if invitation.mailed_sequence == session.sequence:
        return ""  # their calendar has this state already
    if invitation.response == Invitation.Response.NO:
        return ""  # declined: a new time is not news to them
    return "update"


@keeps_language
def invitation_mail_due_send(*, invitation_id: int) -> str:
    """Send the calendar mail ``invitation_id`` is owed, if any; returns its kind or "".

    One transaction: the claim (clearing ``mail_due_at``), a fresh read, the outbox row.
    """
    with transaction.atomic():
        claimed = Invitation.objects.filter(pk=invitation_id, mail_due_at__isnull=False).update(
            mail_due_at=None
        )
        if claimed != 1:  # sent by someone else, or nothing owed
            return ""
        invitation = _fresh(invitation_id)
        speak_to(invitation.person)
        kind = _calendar_kind(invitation)
        if not kind:
            return ""
        session = invitation.session
        when = _when(session, invitation.person.tzinfo)
        now = timezone.now()
        Invitation.objects.filter(pk=invitation_id).update(
            mailed_at=Coalesce(F("mailed_at"), Value(now), output_field=DateTimeField()),
            mailed_sequence=session.sequence,
        )
        if kind == "invitation":
            inviter = invitation.invited_by
            _mail(
                kind=kind,
                invitation=invitation,
                subject=gettext("Invitation: %(title)s — %(when)s")
                % {"title": one_line(session.title), "when": when},
                method="REQUEST",
                extra={"inviter": inviter.display_name if inviter else None},
            )
        elif kind == "update":
            _mail(
                kind=kind,
                invitation=invitation,
                subject=gettext("New time: %(title)s — %(when)s")
                % {"title": one_line(session.title), "when": when},
                method="REQUEST",
                extra={"reason": ""},
            )
        else:
            change = session.changes.filter(kind=SessionChange.Kind.CANCELLED).last()
            _mail(
                kind=kind,
                invitation=invitation,
                subject=gettext("Cancelled: %(title)s — %(when)s")
                % {"title": one_line(session.title), "when": when},
                method="CANCEL",
                extra={"reason": change.note if change else ""},
            )
        return kind


@keeps_language
def invitation_mail_promoted_send(*, invitation_id: int) -> bool:
    """Tell someone their waitlisted "yes" now holds a seat, if they are owed it and it still
    does; True when the mail was queued. Claimed like ``invitation_mail_due_send``."""
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation_id, promoted_mail_due_at__isnull=False
        ).update(promoted_mail_due_at=None)
        if claimed != 1:
            return False
        invitation = _fresh(invitation_id)
        speak_to(invitation.person)
        if (
            invitation.response != Invitation.Response.YES
            or invitation.waitlisted_at is not None
            or not invitation.session.is_upcoming
            or not invitation.person.is_active
        ):
            return False
        _mail(
            kind="promoted",
            invitation=invitation,
            subject=gettext("A seat opened up: you are going to %(title)s")
            % {"title": one_line(invitation.session.title)},
        )
        return True


def _each(ids: Iterable[int], send) -> int:
    """Send for each id, one transaction each; a mail that cannot be built is logged and left
    owed (the sweep tries it again) instead of stopping the ones after it."""
    sent = 0
    for invitation_id in ids:
        try:
            sent += bool(send(invitation_id=invitation_id))
        except Exception:
            logger.exception("Could not queue the mail owed to invitation %s", invitation_id)
    return sent


def _owed(field: str) -> QuerySet[Invitation]:
    return Invitation.objects.filter(**{f"{field}__isnull": False}).order_by(field, "id")


def invitations_mail_due(
    *, invitation_ids: Iterable[int] | None = None, session_id: int | None = None
) -> int:
    """Send the calendar mails owed to these invitations (or to a session's); returns how many.

    Only what is still owed is sent: after a worker died half-way through a batch, running the
    batch again sends the rest.
    """
    owed = _owed("mail_due_at")
    if invitation_ids is not None:
        owed = owed.filter(pk__in=list(invitation_ids))
    if session_id is not None:
        owed = owed.filter(session_id=session_id)
    return _each(list(owed.values_list("pk", flat=True)), invitation_mail_due_send)


def invitations_mail_promoted(*, invitation_ids: Iterable[int]) -> int:
    """Send the "a seat opened up" mails these invitations are owed; returns how many."""
    owed = _owed("promoted_mail_due_at").filter(pk__in=list(invitation_ids))
    return _each(list(owed.values_list("pk", flat=True)), invitation_mail_promoted_send)


def invitations_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """The periodic safety net: send every mail owed for longer than ``SWEEP_AFTER``.

    Markers of sessions that are over are dropped (nothing left to tell: an invitation or a new
    time after the end is noise); a cancelled session's markers stay until its end.
    """
    now = now or timezone.now()
    over = Invitation.objects.filter(session__end__lte=now)
    expired = over.filter(mail_due_at__isnull=False).update(mail_due_at=None)
    expired += over.filter(promoted_mail_due_at__isnull=False).update(promoted_mail_due_at=None)
    cutoff = now - SWEEP_AFTER
    calendar_ids = _owed("mail_due_at").filter(mail_due_at__lte=cutoff)
    promoted_ids = _owed("promoted_mail_due_at").filter(promoted_mail_due_at__lte=cutoff)
    calendar = _each(
        list(calendar_ids.values_list("pk", flat=True)[:batch]), invitation_mail_due_send
    )
    promoted = _each(
        list(promoted_ids.values_list("pk", flat=True)[:batch]), invitation_mail_promoted_send
    )
    if calendar or promoted:
        logger.warning(
            "The invitation sweep sent %s calendar and %s seat mails a task had not sent.",
            calendar,
            promoted,
        )
    return SweepResult(calendar=calendar, promoted=promoted, expired=expired)
