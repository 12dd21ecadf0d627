"""Reads of people: the directory, a profile, and the sessions a profile shows."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from kshare.people.models import AccountInvite, Person, Skill, Team
from kshare.people.services import account_invite_token_hash
from kshare.sessions.models import Attendance, Session, SessionHost, State
from kshare.sessions.selectors import sessions_visible_to

PROFILE_SESSIONS = 20


def people_directory(*, query: str = "", team: Team | None = None) -> QuerySet[Person]:
    """Active people matching ``query`` (name, e-mail, team or skill), with team and skills."""
    people = Person.objects.filter(is_active=True)
    if team is not None:
        people = people.filter(team=team)
    for word in query.split()[:5]:
        # Each word must match something, so "anna python" finds Anna who knows Python.
        people = people.filter(
            Q(display_name__icontains=word)
            | Q(email__icontains=word)
            | Q(team__name__icontains=word)
            | Exists(Skill.objects.filter(person=OuterRef("pk"), tag__name__icontains=word))
        )
    return people.select_related("team").prefetch_related(
        Prefetch(
            "skills", queryset=Skill.objects.select_related("tag").order_by("-level", "tag__name")
        )
    )


def person_profile(*, pk: int) -> Person | None:
    """An active person with team, interests and skills loaded, or ``None``."""
    return (
        Person.objects.filter(pk=pk, is_active=True)
        .select_related("team")
        .prefetch_related(
            "interests",
            Prefetch(
                "skills",
                queryset=Skill.objects.select_related("tag").order_by("-level", "tag__name"),
            ),
        )
        .first()
    )


def _profile_sessions(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return (
        sessions.exclude(state=State.CANCELLED)
        .select_related("programme")
        .order_by(F("start").desc(nulls_first=True), "-id")
    )


def person_sessions_hosted(*, viewer: Person, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` hosts or co-hosts that ``viewer`` may see, newest first."""
    return _profile_sessions(
        sessions_visible_to(person=viewer).filter(
            Exists(SessionHost.objects.filter(session=OuterRef("pk"), person=person))
        )
    )


def person_sessions_attended(*, viewer: Person, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` attended that ``viewer`` may see, newest first."""
    return _profile_sessions(
        sessions_visible_to(person=viewer).filter(
            Exists(Attendance.objects.filter(session=OuterRef("pk"), person=person))
        )
    )


def account_invite_for_token(*, token: str) -> AccountInvite | None:
    return (
        AccountInvite.objects.select_related("team", "invited_by")
        .filter(token_hash=account_invite_token_hash(token))
        .first()
    )
