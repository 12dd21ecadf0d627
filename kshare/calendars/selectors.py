"""Reads for calendar feeds, stars and the personal agenda, with visibility applied."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from kshare.calendars.models import CalendarFeed
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programmes_visible_to
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.sessions.models import (
    Attendance,
    Invitation,
    Session,
    SessionHost,
    Star,
    State,
)
from kshare.sessions.selectors import sessions_visible_to

# Feeds reach this far back, so last month's sessions stay in the calendar; the future is open.
FEED_PAST = timedelta(days=90)
# A feed shows what happened and what will: proposals have no confirmed date yet. Cancelled
# sessions stay in (STATUS:CANCELLED) so that clients remove the event they already have.
FEED_STATES = (State.SCHEDULED, State.HELD, State.CANCELLED)
# RSVP answers that put a session in someone's calendar ("yes" includes the waitlisted).
FEED_RESPONSES = (Invitation.Response.YES, Invitation.Response.MAYBE)


def feed_for_token(*, token: str) -> CalendarFeed | None:
    """The feed behind a secret address, or ``None`` (unknown, revoked, or its person can no
    longer sign in)."""
    if not token or len(token) > 64 or "\x00" in token:
        return None
    return (
        CalendarFeed.objects.select_related("person")
        .filter(token=token, person__is_active=True)
        .first()
    )


def feed_of(*, person: Person) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(person=person).first()


def _hosts(person: Person) -> Exists:
    return Exists(SessionHost.objects.filter(session=OuterRef("pk"), person=person))


def _stars(person: Person) -> Exists:
    return Exists(Star.objects.filter(session=OuterRef("pk"), person=person))


def _answered(person: Person) -> Exists:
    return Exists(
        Invitation.objects.filter(
            session=OuterRef("pk"), person=person, response__in=FEED_RESPONSES
        )
    )


def _in_feed_window(sessions: QuerySet[Session], now: datetime) -> QuerySet[Session]:
    return sessions.filter(
        state__in=FEED_STATES, start__isnull=False, end__isnull=False, end__gte=now - FEED_PAST
    )


def person_feed_sessions(*, person: Person, now: datetime | None = None) -> QuerySet[Session]:
    """The sessions in ``person``'s feed: those they host, attended, said yes or maybe to
    (waitlisted included) or starred, among those they may still see; from ``FEED_PAST`` ago on.
    """
    now = now or timezone.now()
    # Started from the person's own rows (each read by its person index) rather than from
    # every session in the window with four EXISTS each: visibility is then tested only on
    # the sessions that are theirs.
    mine: QuerySet = (
        SessionHost.objects.filter(person=person)
        .order_by()
        .values_list("session_id")
        .union(
            Attendance.objects.filter(person=person).order_by().values_list("session_id"),
            Invitation.objects.filter(person=person, response__in=FEED_RESPONSES)
            .order_by()
            .values_list("session_id"),
            Star.objects.filter(person=person).order_by().values_list("session_id"),
            all=True,
        )
    )
    return (
        _in_feed_window(sessions_visible_to(person=person), now)
        .filter(pk__in=mine)
        .select_related("programme")
        .order_by("start", "id")
    )


def programme_feed_sessions(
    *, person: Person, programme: Programme, now: datetime | None = None
) -> QuerySet[Session]:
    """The programme's sessions ``person`` may see (invite-only ones only when invited or
    hosting), from ``FEED_PAST`` ago on."""
    now = now or timezone.now()
    return (
        _in_feed_window(sessions_visible_to(person=person), now)
        .filter(programme=programme)
        .select_related("programme")
        .order_by("start", "id")
    )


def feed_rhythm_events(*, person: Person) -> QuerySet[RhythmEvent]:
    """Company-wide rhythm events and those of ``person``'s team, with their exceptions."""
    team = Q(team__isnull=True)
    if person.team_id is not None:
        team |= Q(team_id=person.team_id)
    return RhythmEvent.objects.filter(team).prefetch_related("exceptions").order_by("name", "id")


def programme_for_feed(*, person: Person, slug: str) -> Programme | None:
    if not slug or len(slug) > 120:
        return None
    return programmes_visible_to(person=person).filter(slug=slug).first()


def feed_programmes(*, person: Person) -> QuerySet[Programme]:
    """Programmes whose feed ``person`` may subscribe to."""
    return programmes_visible_to(person=person).order_by("name")


def agenda_sessions(*, person: Person, now: datetime | None = None) -> QuerySet[Session]:
    """``person``'s agenda: upcoming sessions they starred, host or said yes/maybe to (the
    future part of their feed), soonest first.

    Annotated with ``starred``, ``hosting``, ``my_response`` and ``my_waitlisted_at`` so the page
    says why each one is there without a query per row.
    """
    now = now or timezone.now()
    invitation = Invitation.objects.filter(session=OuterRef("pk"), person=person)
    return (
        sessions_visible_to(person=person)
        .filter(state=State.SCHEDULED, end__gt=now)
        .filter(Q(_hosts(person)) | Q(_answered(person)) | Q(_stars(person)))
        .annotate(
            starred=_stars(person),
            hosting=_hosts(person),
            my_response=Subquery(invitation.values("response")[:1]),
            my_waitlisted_at=Subquery(invitation.values("waitlisted_at")[:1]),
        )
        .fetch_mode(models.FETCH_PEERS)
        .select_related("programme")
        .prefetch_related(
            Prefetch(
                "host_links",
                queryset=SessionHost.objects.select_related("person").order_by("-role", "id"),
            ),
        )
        .order_by("start", "id")
    )
