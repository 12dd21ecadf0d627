"""Invitations: who may be invited, inviting, the waitlist and RSVP links.

Every invitee gets one mail with an iCalendar REQUEST (stable UID, the session's SEQUENCE) and
three signed RSVP links that work without signing in. A reschedule sends a new REQUEST with the
next SEQUENCE to everyone mailed who has not declined; a cancellation sends a CANCEL.

The mails are owed on the invitation rows in the transaction that decides them and built by a
task after it commits (``kshare/sessions/invitation_mail.py``), so a large "invite everyone"
answers at once, a rolled-back change mails nobody, and a worker killed half-way through a batch
loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.people.models import Person, Team
from kshare.sessions.models import Invitation, Session, State
from kshare.sessions.selectors import session_can_edit
from kshare.visibility import rules

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


# -- who may be invited: kshare.visibility.rules.INVITABLE_RULE ------------------------------------


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
        Session.objects.select_for_update(of=("self",), no_key=True)
        .select_related("programme")
        .get(pk=session.pk)
    )
    _check_can_invite(session=locked, by=by)
    people = list(people)
    teams = list(teams)
    allowed = rules.people_who_may_be_invited(session=locked)
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
        Invitation(session=locked, person_id=pk, invited_by=by, created_at=now, mail_due_at=now)
        for pk in new_ids
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
    # Owed the "a seat opened up" mail from this transaction on (invitation_mail.py).
    Invitation.objects.filter(pk__in=[i.pk for i in promoted]).update(
        waitlisted_at=None, promoted_mail_due_at=timezone.now()
    )
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


def rsvp_link_expired(*, session: Session, now: datetime | None = None) -> bool:
    return session.end is not None and session.end <= (now or timezone.now())
