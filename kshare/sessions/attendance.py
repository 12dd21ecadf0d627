"""The attendance log's write path: every change goes through here and leaves a history row
(``AttendanceChange``).

Sessions owns the log (``Attendance``) and its history, so these are sessions' services; the
pages around them — check-in, the host's log page, automatic "held" — are the attendance app's,
which calls them. Callers decide *whether* a change is allowed (the check-in window, the host's
rights); ``attendance_add`` and ``attendance_take_off`` make it atomically: the session row is
locked first (on SQLite the IMMEDIATE transaction takes the write lock), so concurrent check-ins
to one session are serialised and a double check-in is a no-op rather than an error.
``attendance_record`` is the API's bulk "these people came", with its own window rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from kshare.core.signals import rows_saved_announce
from kshare.people.models import Person
from kshare.sessions import signals
from kshare.sessions.models import (
    Attendance,
    AttendanceChange,
    Session,
    SessionChange,
    SessionHost,
    State,
)

BULK_BATCH = 2_000


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
        # Someone added after "held" gets the feedback form now (kshare.feedback's receiver).
        after_held = locked.state == State.HELD
        transaction.on_commit(
            lambda: signals.attendance_added.send_robust(
                Session, session_id=locked.pk, person_id=person.pk, by=by, after_held=after_held
            ),
            robust=True,
        )
    return attendance, created


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


def _check_attendance_open(session: Session) -> None:
    if session.state == State.HELD:
        return
    if session.state == State.SCHEDULED and session.start and session.start <= timezone.now():
        return
    raise ValidationError(gettext("Attendance can be recorded once the session has started."))


@transaction.atomic
def attendance_record(
    *,
    session: Session,
    people: Iterable[Person],
    by: Person,
    method: str = Attendance.Method.HOST_LIST,
) -> list[Attendance]:
    """Record that ``people`` came to a started or held session; already recorded ones are kept.

    Returns the new rows. Raises ValidationError before the session has started.
    """
    locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
    _check_attendance_open(locked)
    created: list[Attendance] = []
    for person in people:
        attendance, new = attendance_add(session=locked, person=person, by=by, method=method)
        if new:
            created.append(attendance)
    return created


def _recorded_by(*, method: str, person_id: int, host_id: int | None) -> int | None:
    """Who puts someone on the log: the person at a check-in, the host from their list."""
    return person_id if method == Attendance.Method.CHECK_IN else host_id


@transaction.atomic
def attendance_record_bulk(*, attendances: Sequence[Attendance]) -> list[Attendance]:
    """Put many people on many sessions' attendance logs (rows with ``recorded_at`` and
    ``method``), each with the "added" history row ``attendance_add`` writes.

    The rules of ``attendance_record``: only a held or started session (``_check_attendance_open``),
    already recorded people are kept (also a repeat in ``attendances``). The history row's
    ``by`` is the person for a check-in and the session's host for the host's list; a row
    recorded after the session was marked held is a correction (``after_held``), as it is when
    added one by one. Announces nothing but the saved rows: no ``attendance_added`` (no feedback
    form is sent), ``rows_saved`` on commit.
    """
    session_ids = sorted({a.session_id for a in attendances})
    sessions: dict[int, Session] = {}
    hosts: dict[int, int] = {}
    held_at: dict[int, datetime] = {}
    seen: set[tuple[int, int]] = set()
    for start in range(0, len(session_ids), BULK_BATCH):
        part = session_ids[start : start + BULK_BATCH]
        sessions.update(Session.objects.only("pk", "state", "start").in_bulk(part))
        hosts.update(
            SessionHost.objects.filter(session_id__in=part, role=SessionHost.Role.HOST).values_list(
                "session_id", "person_id"
            )
        )
        held_at.update(
            SessionChange.objects.filter(
                session_id__in=part, kind=SessionChange.Kind.HELD
            ).values_list("session_id", "at")
        )
        seen.update(
            Attendance.objects.filter(session_id__in=part).values_list("session_id", "person_id")
        )
    new: list[Attendance] = []
    changes: list[AttendanceChange] = []
    for attendance in attendances:
        key = (attendance.session_id, attendance.person_id)
        if key in seen:
            continue
        seen.add(key)
        session = sessions[attendance.session_id]
        _check_attendance_open(session)
        marked = held_at.get(session.pk)
        new.append(attendance)
        changes.append(
            AttendanceChange(
                session_id=session.pk,
                person_id=attendance.person_id,
                action=AttendanceChange.Action.ADDED,
                method=attendance.method,
                by_id=_recorded_by(
                    method=attendance.method,
                    person_id=attendance.person_id,
                    host_id=hosts.get(session.pk),
                ),
                at=attendance.recorded_at,
                after_held=marked is not None and attendance.recorded_at > marked,
            )
        )
    Attendance.objects.bulk_create(new, batch_size=BULK_BATCH)
    AttendanceChange.objects.bulk_create(changes, batch_size=BULK_BATCH)
    rows_saved_announce(model=Attendance, ids=[a.pk for a in new if a.pk is not None])
    return new
