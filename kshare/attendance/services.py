"""The attendance log's write path: every change goes through here and leaves a history row.

Callers decide *whether* a change is allowed (the check-in window, the host's rights); these
functions make it atomically: the session row is locked first (on SQLite the IMMEDIATE
transaction takes the write lock), so concurrent check-ins to one session are serialised and a
double check-in is a no-op rather than an error.
"""

from __future__ import annotations

from django.db import transaction

from kshare.attendance.models import AttendanceChange
from kshare.people.models import Person
from kshare.sessions.models import Attendance, Session, State


@transaction.atomic
def attendance_add(
    *, session: Session, person: Person, by: Person | None, method: str
) -> tuple[Attendance, bool]:
    """Put ``person`` on ``session``'s attendance log; returns (row, created).

    Idempotent: someone already on the log keeps their row (and its method and time), and no
    history is written for the repeat.
    """
    locked = Session.objects.select_for_update(no_key=True).only("pk", "state").get(pk=session.pk)
    attendance, created = Attendance.objects.get_or_create(
        session=locked, person=person, defaults={"method": method}
    )
    if created:
        AttendanceChange.objects.create(
            session=locked,
            person=person,
            action=AttendanceChange.Action.ADDED,
            method=method,
            by=by,
            after_held=locked.state == State.HELD,
        )
        if locked.state == State.HELD:
            _feedback_dispatch(session_id=locked.pk)
    return attendance, created


def _feedback_dispatch(*, session_id: int) -> None:
    """Someone added after "held" gets the feedback form now, not at the clock's next round (the
    dispatch sends only to those without a request, so the others get nothing twice)."""
    from kshare.feedback.tasks import feedback_dispatch_session

    transaction.on_commit(lambda: feedback_dispatch_session.enqueue(session_id), robust=True)


@transaction.atomic
def attendance_take_off(*, session: Session, person: Person, by: Person | None) -> bool:
    """Take ``person`` off ``session``'s attendance log; False when they were not on it."""
    locked = Session.objects.select_for_update(no_key=True).only("pk", "state").get(pk=session.pk)
    deleted, _ = Attendance.objects.filter(session=locked, person=person).delete()
    if not deleted:
        return False
    AttendanceChange.objects.create(
        session=locked,
        person=person,
        action=AttendanceChange.Action.REMOVED,
        by=by,
        after_held=locked.state == State.HELD,
    )
    return True
