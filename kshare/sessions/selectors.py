"""Reads of sessions, with visibility applied: the one place a permission-aware query is written."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.models import (
    Attendance,
    Invitation,
    Session,
    SessionChange,
    SessionHost,
    State,
)
from kshare.visibility import rules


def sessions_visible_to(*, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` may see: ``kshare.visibility.rules.SESSION_RULE`` (hosts and co-hosts,
    invitees, the programme's organisers and admins; otherwise the session's and the programme's
    visibility must both let them in)."""
    return rules.sessions_visible_to(person=person)


def _is_host(person: Person, session: Session) -> bool:
    """Whether ``person`` hosts ``session``: from its host links when the page has loaded them
    (``_for_list`` does), else one query."""
    if "host_links" in getattr(session, "_prefetched_objects_cache", {}):
        return any(link.person_id == person.pk for link in session.host_links.all())
    return SessionHost.objects.filter(session=session, person=person).exists()


def session_can_edit(*, person: Person, session: Session) -> bool:
    """Hosts and co-hosts, the programme's organisers, and admins edit a session."""
    if not person.is_authenticated or not person.is_active:
        return False
    if person.is_admin:
        return True
    if _is_host(person, session):
        return True
    return person.is_organiser and session.programme.organisers.filter(pk=person.pk).exists()


def _for_list(sessions: QuerySet[Session]) -> QuerySet[Session]:
    # FETCH_PEERS is the N+1 safety net: a relation a template touches that we forgot to
    # select is then loaded once for the whole page, not once per row.
    return (
        sessions.fetch_mode(models.FETCH_PEERS)
        .select_related("programme")
        .prefetch_related(
            Prefetch(
                "host_links",
                queryset=SessionHost.objects.select_related("person").order_by("-role", "id"),
            ),
            "tags",
        )
    )


def sessions_upcoming(*, person: Person) -> QuerySet[Session]:
    now = timezone.now()
    return _for_list(
        sessions_visible_to(person=person).filter(state=State.SCHEDULED, end__gt=now)
    ).order_by("start", "id")


def sessions_past(*, person: Person) -> QuerySet[Session]:
    now = timezone.now()
    return _for_list(
        sessions_visible_to(person=person).filter(
            Q(state=State.HELD) | Q(state=State.SCHEDULED, end__lte=now)
        )
    ).order_by("-start", "-id")


def sessions_proposed(*, person: Person) -> QuerySet[Session]:
    return _for_list(sessions_visible_to(person=person).filter(state=State.PROPOSED)).order_by(
        "-created_at", "-id"
    )


def sessions_hosting(*, person: Person) -> QuerySet[Session]:
    # From the person's host links (their index), not an EXISTS tested on every session.
    hosted = SessionHost.objects.filter(person=person).values("session_id")
    return _for_list(Session.objects.filter(pk__in=hosted).exclude(state=State.CANCELLED)).order_by(
        "-start", "-id"
    )


def sessions_attending(*, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` said yes to or attended (including past ones)."""
    going = Exists(
        Invitation.objects.filter(
            session=OuterRef("pk"), person=person, response=Invitation.Response.YES
        )
    )
    attended = Exists(Attendance.objects.filter(session=OuterRef("pk"), person=person))
    return _for_list(
        sessions_visible_to(person=person).filter(going | attended).exclude(state=State.CANCELLED)
    ).order_by("-start", "-id")


def sessions_by_tag(*, person: Person, tag_slug: str) -> QuerySet[Session]:
    return _for_list(
        sessions_visible_to(person=person)
        .filter(tags__slug=tag_slug)
        .exclude(state=State.CANCELLED)
    ).order_by("-start", "-id")


def sessions_in_programme(*, person: Person, programme: Programme) -> QuerySet[Session]:
    return _for_list(
        sessions_visible_to(person=person)
        .filter(programme=programme)
        .exclude(state=State.CANCELLED)
    ).order_by("-start", "-id")


def session_detail(*, person: Person, pk: int) -> Session | None:
    """The session with all its page shows, or ``None`` when it does not exist for ``person``.

    Visibility is asked first, of this one session (``rules.visible_session_ids``: one light
    query instead of the rule compiled into the page's query)."""
    if not rules.visible_session_ids(person=person, ids=[pk]):
        return None
    return (
        _for_list(Session.objects.all())
        .select_related("proposed_by")
        .prefetch_related(
            "agenda",
            "teams",
            Prefetch("changes", queryset=SessionChange.objects.select_related("by")),
        )
        .filter(pk=pk)
        .first()
    )


def session_invitation_for(*, person: Person, session: Session) -> Invitation | None:
    return Invitation.objects.filter(session=session, person=person).first()


def session_counts(*, session: Session) -> dict[str, int | None]:
    """RSVP and attendance numbers for a session page; "going" holds seats (not the waitlist)."""
    yes = Invitation.Response.YES
    counts = session.invitations.aggregate(
        invited=Count("id"),
        going=Count("id", filter=Q(response=yes, waitlisted_at__isnull=True)),
        waitlisted=Count("id", filter=Q(response=yes, waitlisted_at__isnull=False)),
        maybe=Count("id", filter=Q(response=Invitation.Response.MAYBE)),
    )
    going = counts["going"]
    return {
        **counts,
        "seats_left": max(session.capacity - going, 0) if session.capacity else None,
        "attended": session.attendances.count(),
    }


# -- invitations and the waitlist -----------------------------------------------------------------


def seats_taken(*, session: Session) -> int:
    return Invitation.objects.filter(
        session=session, response=Invitation.Response.YES, waitlisted_at__isnull=True
    ).count()


def waitlist_position(*, invitation: Invitation) -> int | None:
    """1 for the first in line; None when not on the waitlist."""
    if invitation.response != Invitation.Response.YES or invitation.waitlisted_at is None:
        return None
    ahead = Invitation.objects.filter(
        Q(waitlisted_at__lt=invitation.waitlisted_at)
        | Q(waitlisted_at=invitation.waitlisted_at, pk__lt=invitation.pk),
        session_id=invitation.session_id,
        response=Invitation.Response.YES,
    ).count()
    return ahead + 1


def invitation_answer(invitation: Invitation) -> str:
    """going / waitlisted / maybe / no / pending, as the invite page shows it."""
    if invitation.response == Invitation.Response.YES and invitation.waitlisted_at is not None:
        return "waitlisted"
    labels: dict[str, str] = {
        Invitation.Response.YES: "going",
        Invitation.Response.MAYBE: "maybe",
        Invitation.Response.NO: "no",
    }
    return labels.get(invitation.response, "pending")


def invitation_counts(*, session: Session) -> dict[str, int]:
    """One query: how many invitations are in each state."""
    yes, maybe, no = (Invitation.Response.YES, Invitation.Response.MAYBE, Invitation.Response.NO)
    return Invitation.objects.filter(session=session).aggregate(
        total=Count("id"),
        going=Count("id", filter=Q(response=yes, waitlisted_at__isnull=True)),
        waitlisted=Count("id", filter=Q(response=yes, waitlisted_at__isnull=False)),
        maybe=Count("id", filter=Q(response=maybe)),
        no=Count("id", filter=Q(response=no)),
        pending=Count("id", filter=Q(response=Invitation.Response.PENDING)),
    )


# -- a person's profile (the parts sessions registers for the people app's profile page) -------

PROFILE_SESSIONS = 20


def _profile_sessions(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return (
        sessions.exclude(state=State.CANCELLED)
        .select_related("programme")
        .order_by(models.F("start").desc(nulls_first=True), "-id")
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
