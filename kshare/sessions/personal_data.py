"""Sessions' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kshare.people.models import Person
from kshare.sessions.invitations import waitlist_promote
from kshare.sessions.models import (
    Attendance,
    CohostInvitation,
    Invitation,
    Session,
    SessionChange,
    SessionHost,
    Star,
    State,
)

HANDLES = {
    "talks.SessionHost.person": "a host stays as the former member; co-host links are removed",
    "talks.Session.created_by": "moved to the former member",
    "talks.Session.proposed_by": "moved to the former member (drafts proposed for someone else)",
    "talks.SessionChange.by": "moved to the former member",
    "talks.Invitation.person": "deleted (a seat it held goes to the waitlist)",
    "talks.Invitation.invited_by": "moved to the former member",
    "talks.Attendance.person": "deleted",
    "talks.Star.person": "deleted",
    "talks.CohostInvitation.person": "deleted",
    "talks.CohostInvitation.invited_by": "moved to the former member",
}


def export(person: Person) -> dict[str, Any]:
    return {
        "sessions_hosted": [
            {
                "session": link.session_id,
                "title": link.session.title,
                "role": link.role,
                "state": link.session.state,
                "start": link.session.start,
            }
            for link in SessionHost.objects.filter(person=person)
            .select_related("session")
            .order_by("session_id")
        ],
        "sessions_proposed": list(
            Session.objects.filter(created_by=person)
            .order_by("pk")
            .values("id", "title", "created_at")
        ),
        "sessions_proposed_for_others": list(
            Session.objects.filter(proposed_by=person)
            .order_by("pk")
            .values("id", "title", "state", "created_at", "host_accepted_at")
        ),
        "session_history": list(
            SessionChange.objects.filter(by=person)
            .order_by("at", "pk")
            .values("session_id", "kind", "at", "note")
        ),
        "invitations": list(
            Invitation.objects.filter(person=person)
            .order_by("created_at", "pk")
            .values(
                "session_id",
                "session__title",
                "created_at",
                "response",
                "responded_at",
                "waitlisted_at",
            )
        ),
        "invitations_sent": Invitation.objects.filter(invited_by=person).count(),
        "attendance": list(
            Attendance.objects.filter(person=person)
            .order_by("recorded_at", "pk")
            .values("session_id", "session__title", "method", "recorded_at")
        ),
        "cohost_invitations": list(
            CohostInvitation.objects.filter(person=person)
            .order_by("created_at", "pk")
            .values("session_id", "session__title", "status", "created_at", "answered_at")
        ),
        "stars": list(
            Star.objects.filter(person=person)
            .order_by("created_at", "pk")
            .values("session_id", "session__title", "created_at")
        ),
    }


def erase(person: Person, placeholder: Person) -> None:
    links = SessionHost.objects.filter(person=person)
    links.filter(role=SessionHost.Role.COHOST).delete()
    # Two former members hosting one session are one "Former member".
    links.filter(session__host_links__person=placeholder).delete()
    links.update(person=placeholder)
    Session.objects.filter(created_by=person).update(created_by=placeholder)
    Session.objects.filter(proposed_by=person).update(proposed_by=placeholder)
    SessionChange.objects.filter(by=person).update(by=placeholder)
    Invitation.objects.filter(invited_by=person).update(invited_by=placeholder)

    seats = list(
        Invitation.objects.filter(
            person=person,
            response=Invitation.Response.YES,
            waitlisted_at__isnull=True,
            session__state=State.SCHEDULED,
            session__end__gt=timezone.now(),
        ).values_list("session_id", flat=True)
    )
    Invitation.objects.filter(person=person).delete()
    for session in (
        Session.objects.select_for_update(no_key=True).filter(pk__in=seats).order_by("pk")
    ):
        waitlist_promote(session=session)
    Attendance.objects.filter(person=person).delete()
    Star.objects.filter(person=person).delete()
    CohostInvitation.objects.filter(person=person).delete()
    CohostInvitation.objects.filter(invited_by=person).update(invited_by=placeholder)
