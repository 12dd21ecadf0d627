"""Invitations: who may be invited, inviting, the waitlist, RSVP links and the invitation mails.

Every invitee gets one mail with an iCalendar REQUEST (stable UID, the session's SEQUENCE) and
three signed RSVP links that work without signing in. A reschedule sends a new REQUEST with the
next SEQUENCE to everyone mailed who has not declined; a cancellation sends a CANCEL.

Mails are built after the transaction that decided them commits (``transaction.on_commit`` +
a task), so a large "invite everyone" answers at once and a rolled-back change mails nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.people.models import Person, Role, Team
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.sessions.models import Invitation, Session, SessionChange, State, Visibility
from kshare.sessions.selectors import session_can_edit

logger = logging.getLogger(__name__)

RSVP_SALT = "kshare.rsvp"
# An RSVP link stops working when its session ends, and in any case after this long.
RSVP_MAX_AGE = timedelta(days=365)

PARTSTAT: dict[str, str] = {
    Invitation.Response.PENDING: "NEEDS-ACTION",
    Invitation.Response.YES: "ACCEPTED",
    Invitation.Response.MAYBE: "TENTATIVE",
    Invitation.Response.NO: "DECLINED",
}


# -- who may be invited ---------------------------------------------------------------------------


def people_who_may_see(*, session: Session) -> QuerySet[Person]:
    """Active people who may see ``session`` once invited.

    Admins, the programme's organisers and the hosts always may. Everyone else needs the
    programme to be open to them (public, or their team) and the session too: public, their team
    for a team-restricted session, or anyone for an invite-only one — there the invitation is
    what lets them in.
    """
    programme = session.programme
    people = Person.objects.filter(is_active=True)
    conditions = []
    if programme.visibility != ProgrammeVisibility.PUBLIC:
        conditions.append(Q(team_id__in=programme.teams.values("pk")))
    if session.visibility == Visibility.TEAMS:
        conditions.append(Q(team_id__in=session.teams.values("pk")))
    if not conditions:
        return people
    open_to = conditions[0]
    for condition in conditions[1:]:
        open_to &= condition
    privileged = (
        Q(role=Role.ADMIN)
        | Q(is_superuser=True)
        | Q(pk__in=programme.organisers.values("pk"))
        | Q(pk__in=session.host_links.values("person_id"))
    )
    return people.filter(privileged | open_to)


def _check_can_invite(*, session: Session, by: Person) -> None:
    if not session_can_edit(person=by, session=session):
        raise PermissionDenied(
            "Only the session's hosts, its programme's organisers and admins can invite people."
        )
    if session.state == State.PROPOSED:
        raise ValidationError(
            "Schedule the session first: an invitation needs a date and time to put in calendars."
        )
    if session.state == State.CANCELLED:
        raise ValidationError("This session is cancelled: it takes no invitations.")
    if session.state != State.SCHEDULED or session.end is None or session.end <= timezone.now():
        raise ValidationError("This session is over: only upcoming sessions take invitations.")


@dataclass
class InviteResult:
    """What ``invitations_create`` did: the new invitations and what it left out, and why."""

    invited: list[Invitation] = field(default_factory=list)
    already: int = 0  # invited before (idempotent)
    hosts: int = 0  # hosts need no invitation
    not_visible: int = 0  # team members / everyone who may not see the session


@transaction.atomic
def invitations_create(
    *,
    session: Session,
    by: Person,
    people: Iterable[Person] = (),
    teams: Iterable[Team] = (),
    everyone: bool = False,
) -> InviteResult:
    """Invite people, whole teams or everyone who may see the session, and mail each new invitee.

    A named person who may not see the session is an error naming them, and then nothing is
    written. Teams and "everyone" expand to the people who may see it (the rest are counted in
    ``not_visible``). People invited before are left alone, so inviting twice is harmless. Only
    people who may edit the session invite, and only to an upcoming scheduled one.
    """
    locked = (
        Session.objects.select_for_update(of=("self",))
        .select_related("programme")
        .get(pk=session.pk)
    )
    _check_can_invite(session=locked, by=by)
    people = list(people)
    teams = list(teams)
    allowed = people_who_may_see(session=locked)
    named_ids = {p.pk for p in people}
    allowed_named = set(allowed.filter(pk__in=named_ids).values_list("pk", flat=True))
    refused = sorted((p for p in people if p.pk not in allowed_named), key=lambda p: p.display_name)
    if refused:
        names = ", ".join(f"{p.display_name} ({p.email})" for p in refused)
        raise ValidationError(
            f"{names} cannot see this session, so nobody was invited. "
            "Leave them out, or change who may see the session.",
            code="not_visible",
        )
    wanted = set(named_ids)
    result = InviteResult()
    if everyone or teams:
        group = Person.objects.filter(is_active=True)
        if not everyone:
            group = group.filter(team__in=teams)
        group_ids = set(group.values_list("pk", flat=True))
        visible_ids = set(allowed.filter(pk__in=group).values_list("pk", flat=True))
        result.not_visible = len(group_ids - visible_ids - named_ids)
        wanted |= visible_ids
    host_ids = set(locked.host_links.values_list("person_id", flat=True))
    result.hosts = len(wanted & host_ids)
    wanted -= host_ids
    existing = set(
        Invitation.objects.filter(session=locked, person_id__in=wanted).values_list(
            "person_id", flat=True
        )
    )
    result.already = len(existing)
    new_ids = sorted(wanted - existing)
    now = timezone.now()
    Invitation.objects.bulk_create(
        Invitation(session=locked, person_id=pk, invited_by=by, created_at=now) for pk in new_ids
    )
    result.invited = list(
        Invitation.objects.filter(session=locked, person_id__in=new_ids).select_related("person")
    )
    if result.invited:
        audit_record(
            action=AuditEntry.Action.INVITE,
            target=locked,
            actor=by,
            changes={
                "invited": len(result.invited),
                "people": sorted(p.email for p in people),
                "teams": sorted(t.name for t in teams),
                "everyone": everyone,
            },
        )
        from kshare.sessions.tasks import invitations_mail

        ids = [invitation.pk for invitation in result.invited]
        transaction.on_commit(lambda: invitations_mail.enqueue(ids))
    return result


# -- the waitlist ---------------------------------------------------------------------------------


def seats_taken(*, session: Session) -> int:
    return Invitation.objects.filter(
        session=session, response=Invitation.Response.YES, waitlisted_at__isnull=True
    ).count()


def waitlist_promote(*, session: Session) -> list[Invitation]:
    """Give free seats to the waitlist, first come first served, and tell the promoted.

    Call it with the session row locked (``rsvp_set`` and ``session_update`` do).
    """
    waiting = Invitation.objects.filter(
        session=session, response=Invitation.Response.YES, waitlisted_at__isnull=False
    ).order_by("waitlisted_at", "id")
    if session.capacity is not None:
        free = session.capacity - seats_taken(session=session)
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = list(waiting)
    if not promoted:
        return []
    Invitation.objects.filter(pk__in=[i.pk for i in promoted]).update(waitlisted_at=None)
    from kshare.sessions.tasks import invitation_mail_promoted

    for invitation in promoted:
        invitation.waitlisted_at = None
        transaction.on_commit(partial(invitation_mail_promoted.enqueue, invitation.pk))
    return promoted


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


# -- RSVP tokens ----------------------------------------------------------------------------------


class RSVPTokenInvalid(Exception):
    pass


class RSVPTokenExpired(Exception):
    pass


def rsvp_token(invitation: Invitation) -> str:
    """A signed, timestamped token naming the invitation and its person."""
    return signing.dumps([invitation.pk, invitation.person_id], salt=RSVP_SALT)


def rsvp_token_read(token: str) -> tuple[int, int]:
    """(invitation id, person id) from a token; raises RSVPTokenInvalid / RSVPTokenExpired."""
    try:
        value = signing.loads(token, salt=RSVP_SALT, max_age=RSVP_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise RSVPTokenExpired from exc
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise RSVPTokenInvalid from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(type(v) is int and v > 0 for v in value)
    ):
        raise RSVPTokenInvalid
    return value[0], value[1]


def rsvp_link(invitation: Invitation, answer: str | None = None) -> str:
    url = settings.SITE_URL + reverse("sessions:rsvp_link", args=[rsvp_token(invitation)])
    return f"{url}?answer={answer}" if answer else url


# -- mails ----------------------------------------------------------------------------------------


def _when(session: Session, tz: ZoneInfo) -> str:
    assert session.start is not None and session.end is not None
    start, end = session.start.astimezone(tz), session.end.astimezone(tz)
    day, dash = "%A %-d %B %Y", "\N{EN DASH}"
    if start.date() == end.date():
        text = f"{start.strftime(day)}, {start:%H:%M}{dash}{end:%H:%M}"
    else:
        text = f"{start.strftime(day)} {start:%H:%M} {dash} {end.strftime(day)} {end:%H:%M}"
    return f"{text} ({tz.key})"


def _ics(session: Session, invitation: Invitation, method: str) -> bytes:
    from kshare.calendars.ical import calendar_bytes, calendar_new, session_event

    person = invitation.person
    cal = calendar_new(name=session.title, method=method)
    partstat = PARTSTAT.get(invitation.response, "NEEDS-ACTION")
    if invitation_answer(invitation) == "waitlisted":
        partstat = "TENTATIVE"
    cal.add_component(
        session_event(
            session,
            cancelled=method == "CANCEL",
            attendees=[(person.email, person.display_name, partstat)],
        )
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
    from kshare.outbox.services import mail_queue

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
        message.attach(
            "invite.ics",
            _ics(session, invitation, method).decode("utf-8"),
            f"text/calendar; method={method}; charset=utf-8",
        )
    mail_queue(message, kind=kind)


def _invitations(ids: Sequence[int]) -> QuerySet[Invitation]:
    return Invitation.objects.filter(pk__in=ids).select_related(
        "session__programme", "person", "invited_by"
    )


def invitations_mail_new(*, invitation_ids: Sequence[int]) -> int:
    """Mail the invitations not mailed yet; returns how many this call mailed.

    Each mail is claimed by the UPDATE that sets ``mailed_at``, in the transaction that stores
    it in the outbox: two workers never mail one invitation twice, a failure leaves it unmailed.
    """
    sent = 0
    for invitation in _invitations(invitation_ids).filter(mailed_at__isnull=True):
        session = invitation.session
        if not session.is_upcoming or not invitation.person.is_active:
            continue
        with transaction.atomic():
            claimed = Invitation.objects.filter(pk=invitation.pk, mailed_at__isnull=True).update(
                mailed_at=timezone.now()
            )
            if claimed != 1:
                continue
            inviter = invitation.invited_by
            _mail(
                kind="invitation",
                invitation=invitation,
                subject=f"Invitation: {session.title} — {_when(session, invitation.person.tzinfo)}",
                method="REQUEST",
                extra={"inviter": inviter.display_name if inviter else None},
            )
        sent += 1
    return sent


def invitations_mail_changed(*, session_id: int, sequence: int) -> int:
    """After a reschedule (REQUEST) or a cancellation (CANCEL), tell everyone already mailed.

    ``sequence`` is the SEQUENCE the change produced: when the session has changed again since,
    this call does nothing and the later change's call mails the latest state once.
    Rescheduled: everyone mailed who has not declined. Cancelled: everyone mailed.
    """
    session = Session.objects.select_related("programme").filter(pk=session_id).first()
    if session is None or session.sequence != sequence:
        return 0
    invitations = Invitation.objects.filter(
        session=session, mailed_at__isnull=False, person__is_active=True
    ).select_related("person")
    if session.state == State.CANCELLED:
        kind, method = "cancelled", "CANCEL"
    elif session.is_upcoming:
        kind, method = "update", "REQUEST"
        invitations = invitations.exclude(response=Invitation.Response.NO)
    else:
        return 0
    reason = ""
    if kind == "cancelled":
        change = session.changes.filter(kind=SessionChange.Kind.CANCELLED).last()
        reason = change.note if change else ""
    sent = 0
    for invitation in invitations:
        invitation.session = session
        when = _when(session, invitation.person.tzinfo)
        subject = (
            f"Cancelled: {session.title} — {when}"
            if kind == "cancelled"
            else f"New time: {session.title} — {when}"
        )
        _mail(
            kind=kind,
            invitation=invitation,
            subject=subject,
            method=method,
            extra={"reason": reason},
        )
        sent += 1
    return sent


def invitation_mail_promoted(*, invitation_id: int) -> bool:
    """Tell someone their waitlisted "yes" now holds a seat (if it still does)."""
    invitation = _invitations([invitation_id]).first()
    if (
        invitation is None
        or invitation.response != Invitation.Response.YES
        or invitation.waitlisted_at is not None
        or not invitation.session.is_upcoming
        or not invitation.person.is_active
    ):
        return False
    _mail(
        kind="promoted",
        invitation=invitation,
        subject=f"A seat opened up: you are going to {invitation.session.title}",
    )
    return True


def invitations_notify_changed(*, session: Session) -> None:
    """Queue the REQUEST/CANCEL mails for a session whose time or state just changed.

    Call inside the transaction that changed it, after its ``sequence`` went up.
    """
    from kshare.sessions.tasks import invitations_mail_changed as task

    transaction.on_commit(partial(task.enqueue, session.pk, session.sequence))


def rsvp_link_expired(*, session: Session, now: datetime | None = None) -> bool:
    return session.end is not None and session.end <= (now or timezone.now())
