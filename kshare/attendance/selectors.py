"""Reads for the attendance log: who came, who was asked, what changed, who may be added.

Every list here has its relations selected up front, so a page of 500 attendees costs the same
queries as a page of 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.models import (
    Attendance,
    AttendanceChange,
    Invitation,
    Session,
    SessionChange,
    State,
)
from kshare.visibility import rules

SEARCH_RESULTS = 20


def attendance_addable_people(*, session: Session, query: str) -> list[Person]:
    """Up to 20 people matching ``query`` (name or e-mail, at least two characters) who may see
    ``session`` and are not on its log yet."""
    if len(query) < 2:
        return []
    return list(
        rules.people_who_may_see(session=session)
        .filter(Q(display_name__icontains=query) | Q(email__icontains=query))
        .exclude(pk__in=session.attendances.values("person_id"))
        .select_related("team")
        .order_by("display_name", "id")[:SEARCH_RESULTS]
    )


def attendance_list(*, session: Session) -> QuerySet[Attendance]:
    """Who is on the log, in the order they came."""
    return (
        Attendance.objects.filter(session=session)
        .select_related("person__team")
        .order_by("recorded_at", "id")
    )


def attendance_version(*, session: Session) -> str:
    """A fingerprint of who is on the log (how many, and the newest row): rows are never
    updated and ids only grow, so any add or removal changes it. One query."""
    seen = Attendance.objects.filter(session=session).aggregate(n=Count("id"), last=Max("id"))
    return f"{seen['n']}-{seen['last'] or 0}"


@dataclass(frozen=True)
class LogRow:
    """One person invited to or attending a session, side by side."""

    person: Person
    invitation: Invitation | None
    attendance: Attendance | None

    @property
    def answer(self) -> str:
        if self.invitation is None:
            return ""
        if self.invitation.response == Invitation.Response.YES and self.invitation.waitlisted_at:
            return _("Waitlisted")
        return self.invitation.get_response_display()


def attendance_table(
    *, session: Session, attendances: list[Attendance] | None = None
) -> list[LogRow]:
    """Everyone invited or attending, by name: two queries whatever the size (one when the
    caller has the attendance list already)."""
    invitations = {
        i.person_id: i
        for i in Invitation.objects.filter(session=session).select_related("person__team")
    }
    if attendances is None:
        attendances = list(attendance_list(session=session))
    came = {a.person_id: a for a in attendances}
    people: dict[int, Person] = {}
    for invitation in invitations.values():
        people[invitation.person_id] = invitation.person
    for attendance in came.values():
        people.setdefault(attendance.person_id, attendance.person)
    return [
        LogRow(person=p, invitation=invitations.get(p.pk), attendance=came.get(p.pk))
        for p in sorted(people.values(), key=lambda p: (p.display_name.casefold(), p.pk))
    ]


def attendance_counts(*, session: Session) -> dict[str, int]:
    """Invited, the answers, attended, and attended without an invitation (two queries)."""
    yes = Invitation.Response.YES
    counts = Invitation.objects.filter(session=session).aggregate(
        invited=Count("id"),
        going=Count("id", filter=Q(response=yes, waitlisted_at__isnull=True)),
        waitlisted=Count("id", filter=Q(response=yes, waitlisted_at__isnull=False)),
        maybe=Count("id", filter=Q(response=Invitation.Response.MAYBE)),
        declined=Count("id", filter=Q(response=Invitation.Response.NO)),
        pending=Count("id", filter=Q(response=Invitation.Response.PENDING)),
    )
    invited = Invitation.objects.filter(session=OuterRef("session"), person=OuterRef("person"))
    came = Attendance.objects.filter(session=session).aggregate(
        attended=Count("id"), uninvited=Count("id", filter=~Q(Exists(invited)))
    )
    return {**counts, **came}


def attendance_history(*, session: Session) -> QuerySet[AttendanceChange]:
    """Every change to the log, newest first."""
    return (
        AttendanceChange.objects.filter(session=session)
        .select_related("person", "by")
        .order_by("-at", "-id")
    )


@dataclass(frozen=True)
class Frozen:
    """The log as it was when the session was marked held."""

    at: datetime
    attended: int
    automatic: bool


def attendance_frozen(*, session: Session) -> Frozen | None:
    """When the log was frozen (marked held) and how many had attended then; None if not held.

    The number is today's count with the later corrections undone, so it is right whatever
    created the rows before (the held change's note records the same number in words).
    """
    if session.state != State.HELD:
        return None
    held = (
        SessionChange.objects.filter(session=session, kind=SessionChange.Kind.HELD)
        .order_by("at", "id")
        .values("at", "by_id")
        .first()
    )
    corrections = AttendanceChange.objects.filter(session=session, after_held=True).aggregate(
        added=Count("id", filter=Q(action=AttendanceChange.Action.ADDED)),
        removed=Count("id", filter=Q(action=AttendanceChange.Action.REMOVED)),
    )
    now = Attendance.objects.filter(session=session).count()
    attended = now - corrections["added"] + corrections["removed"]
    if held is None:  # held before history was kept: the log as it is
        return Frozen(at=session.updated_at, attended=now, automatic=False)
    return Frozen(at=held["at"], attended=attended, automatic=held["by_id"] is None)


def sessions_auto_held_due(*, now: datetime) -> QuerySet[Session]:
    """Scheduled sessions with check-ins whose programme's ``auto_held_after_hours`` (not 0)
    have passed since their end: one condition per distinct number of hours in use."""
    hours = (
        Programme.objects.filter(auto_held_after_hours__gt=0)
        .values_list("auto_held_after_hours", flat=True)
        .distinct()
        .order_by()
    )
    due = Q(pk__in=[])
    for h in hours:
        due |= Q(programme__auto_held_after_hours=h, end__lte=now - timedelta(hours=h))
    return (
        Session.objects.filter(due, state=State.SCHEDULED)
        .filter(Exists(Attendance.objects.filter(session=OuterRef("pk"))))
        .order_by("end", "id")
    )
