"""The attendance log's rules: when a host may add someone, who may be added, automatic "held".

The writes themselves go through ``kshare.sessions.attendance`` (which keeps the history); this
module checks the request first and refuses bad input with a ValidationError that says why,
changing nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.attendance.checkin import CHECKIN_OPENS_BEFORE
from kshare.attendance.selectors import sessions_auto_held_due
from kshare.people.models import Person
from kshare.sessions.attendance import attendance_add, attendance_take_off
from kshare.sessions.models import Attendance, Session, State
from kshare.visibility import rules

logger = logging.getLogger(__name__)

# Upper bound of sessions one tick marks held; the rest wait for the next tick.
AUTO_HELD_BATCH = 200


def attendance_add_refusal(*, session: Session, now: datetime | None = None) -> str | None:
    """Why nobody can be added to ``session``'s log now, or None when they can.

    The log opens with the check-in window (``CHECKIN_OPENS_BEFORE`` the start) and stays open
    after the end and after "held", for corrections.
    """
    now = now or timezone.now()
    if session.state == State.CANCELLED:
        return _("This session was cancelled: its attendance log takes no one.")
    if session.state == State.PROPOSED or session.start is None:
        return _("This session is not scheduled yet: attendees can be added once it starts.")
    opens = session.start - CHECKIN_OPENS_BEFORE
    if now < opens:
        minutes = int(CHECKIN_OPENS_BEFORE.total_seconds() // 60)
        return ngettext(
            "Attendees can be added from %(minutes)s minute before the start.",
            "Attendees can be added from %(minutes)s minutes before the start.",
            minutes,
        ) % {"minutes": minutes}
    return None


@transaction.atomic
def attendance_log_add(
    *, session: Session, person: Person, by: Person, now: datetime | None = None
) -> tuple[Attendance, bool]:
    """A host or organiser puts ``person`` on the log ("host's list"); returns (row, created).

    Refused (ValidationError, nothing changed) outside the log's window or for someone who may
    not see the session. Someone already on the log keeps their row: created is then False.
    """
    locked = (
        Session.objects.select_for_update(no_key=True)
        .select_related("programme")
        .get(pk=session.pk)
    )
    refusal = attendance_add_refusal(session=locked, now=now)
    if refusal:
        raise ValidationError(refusal)
    if not rules.people_who_may_see(session=locked).filter(pk=person.pk).exists():
        raise ValidationError(
            _("%(name)s may not see this session, so they cannot be on its log.")
            % {"name": person.display_name}
        )
    return attendance_add(session=locked, person=person, by=by, method=Attendance.Method.HOST_LIST)


def attendance_log_remove(*, session: Session, person: Person, by: Person) -> None:
    """A host or organiser takes ``person`` off the log; refused when they are not on it."""
    if not attendance_take_off(session=session, person=person, by=by):
        raise ValidationError(
            _("%(name)s is not on the attendance log.") % {"name": person.display_name}
        )


def attendance_auto_held(*, now: datetime | None = None) -> int:
    """Mark held the sessions nobody marked, ``auto_held_after_hours`` after their end, when
    people checked in; returns how many this call marked.

    Safe with racing workers: ``session_mark_held`` locks the session row and refuses a session
    that is no longer scheduled (or has no check-ins left), so each session is marked once.
    """
    from kshare.sessions.services import session_mark_held

    now = now or timezone.now()
    marked = 0
    for session in list(sessions_auto_held_due(now=now)[:AUTO_HELD_BATCH]):
        try:
            session_mark_held(session=session, by=None, automatic=True)
        except ValidationError:  # another worker (or a host) got there first
            continue
        marked += 1
    if marked:
        logger.info("Marked %s session(s) held automatically", marked)
    return marked
