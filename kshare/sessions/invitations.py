"""Invitations and answers, the writes: inviting, RSVP (``rsvp_set``) and the waitlist.

Every invitee gets one mail with an iCalendar REQUEST (stable UID, the session's SEQUENCE) and
three signed RSVP links that work without signing in. A reschedule sends a new REQUEST with the
next SEQUENCE to everyone mailed who has not declined; a cancellation sends a CANCEL.

The mails are owed on the invitation rows in the transaction that decides them and built by a
task after it commits (``kshare/sessions/invitation_mail.py``), so a large "invite everyone"
answers at once, a rolled-back change mails nobody, and a worker killed half-way through a batch
loses nothing. The pieces, one job each: these writes; the reads (waitlist position, counts,
the answer shown) in ``selectors``; the signed links in ``rsvp_tokens``; marking the mails a
reschedule or cancellation owes in ``mail_owed``; building and sending them in
``invitation_mail`` and ``host_mail``, run by ``tasks``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.core.signals import rows_saved_announce
from kshare.people.models import Person, Team
from kshare.sessions import signals
from kshare.sessions.models import Invitation, Session, SessionHost, State
from kshare.sessions.selectors import seats_taken, session_can_edit
from kshare.sessions.tasks import invitation_mail_promoted_task, invitations_mail_task
from kshare.visibility import rules

logger = logging.getLogger(__name__)

# -- who may be invited: kshare.visibility.rules.INVITABLE_RULE ------------------------------------


def _check_can_invite(*, session: Session, by: Person) -> None:
    if not session_can_edit(person=by, session=session):
        raise PermissionDenied(
            gettext(
                "Only the session's hosts, its programme's organisers and admins can invite people."
            )
        )
    if session.state == State.PROPOSED:
        raise ValidationError(
            gettext(
                "Schedule the session first: an invitation needs a date and time to put in "
                "calendars."
            )
        )
    if session.state == State.CANCELLED:
        raise ValidationError(gettext("This session is cancelled: it takes no invitations."))
    if session.state != State.SCHEDULED or session.end is None or session.end <= timezone.now():
        raise ValidationError(
            gettext("This session is over: only upcoming sessions take invitations.")
        )


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
            gettext(
                "%(names)s cannot see this session, so nobody was invited. "
                "Leave them out, or change who may see the session."
            )
            % {"names": names},
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
        ids = [invitation.pk for invitation in result.invited]
        transaction.on_commit(lambda: invitations_mail_task.enqueue(ids))
    return result


BULK_BATCH = 2_000


def invitation_refusal(
    *, person: rules.PersonFacts, facts: rules.SessionFacts, name: str = ""
) -> str | None:
    """Why ``person`` cannot be invited to the session of ``facts``, or None: a host needs no
    invitation, and only people ``rules.INVITABLE_RULE`` lets in may be invited."""
    who = name or gettext("Person %(id)s") % {"id": person.pk}
    if person.pk in facts.hosts:
        return gettext("%(who)s hosts this session, so needs no invitation.") % {"who": who}
    if not rules.INVITABLE_RULE.holds(person, facts):
        return gettext("%(who)s cannot see this session, so cannot be invited.") % {"who": who}
    return None


@transaction.atomic
def invitations_create_bulk(*, invitations: Sequence[Invitation]) -> list[Invitation]:
    """Create many invitations with their answers as they stand (the demo's past and future).

    The rules of ``invitations_create`` and ``rsvp_set`` for every row: no invitation to a
    proposed session (it has no date), none sent after the session ended, none to a host or to
    someone the visibility rule (``rules.INVITABLE_RULE``) keeps out (``invitation_refusal``),
    one per person and session (a repeat is left alone, as inviting twice is); an answer other
    than "pending" has its time, "pending" none; a "yes" beyond the session's capacity, in the
    order answered, joins the waitlist (``waitlisted_at``) instead of taking a seat.

    Announces nothing but the saved rows (``rows_saved`` on commit): no invitation mail is owed
    (``mail_due_at`` stays empty), no ``rsvp_changed``.
    """
    session_ids = sorted({i.session_id for i in invitations})
    sessions: dict[int, Session] = {}
    facts: dict[int, rules.SessionFacts] = {}
    seats: dict[int, int] = defaultdict(int)
    for start in range(0, len(session_ids), BULK_BATCH):
        part = Session.objects.filter(pk__in=session_ids[start : start + BULK_BATCH])
        rows = list(part.only("pk", "state", "end", "capacity", "visibility", "programme_id"))
        sessions.update((s.pk, s) for s in rows)
        facts.update(rules.session_facts(rows))
        for session_id, taken in (
            Invitation.objects.filter(
                session__in=rows, response=Invitation.Response.YES, waitlisted_at__isnull=True
            )
            .values_list("session_id")
            .annotate(n=models.Count("id"))
        ):
            seats[session_id] = taken
    person_ids = sorted({i.person_id for i in invitations})
    people: dict[int, rules.PersonFacts] = {}
    for start in range(0, len(person_ids), BULK_BATCH):
        people.update(
            (p.pk, rules.PersonFacts.of(p))
            for p in Person.objects.filter(pk__in=person_ids[start : start + BULK_BATCH]).only(
                "pk", "team_id", "is_active", "role", "is_superuser"
            )
        )
    seen = {(session_id, pk) for session_id, f in facts.items() for pk in f.invitees}
    new: list[Invitation] = []
    for invitation in invitations:
        key = (invitation.session_id, invitation.person_id)
        if key in seen:
            continue
        seen.add(key)
        session = sessions[invitation.session_id]
        if session.state == State.PROPOSED:
            raise ValidationError(
                gettext(
                    "Schedule the session first: an invitation needs a date and time to put in "
                    "calendars."
                )
            )
        if session.end is not None and invitation.created_at >= session.end:
            raise ValidationError(
                gettext("This session is over: only upcoming sessions take invitations.")
            )
        refusal = invitation_refusal(person=people[invitation.person_id], facts=facts[session.pk])
        if refusal:
            raise ValidationError(refusal, code="not_invitable")
        pending = invitation.response == Invitation.Response.PENDING
        if invitation.response not in Invitation.Response.values or pending != (
            invitation.responded_at is None
        ):
            raise ValidationError("An answer has its time; no answer yet has none.")
        new.append(invitation)
    for invitation in sorted(
        (i for i in new if i.response == Invitation.Response.YES),
        key=lambda i: (i.responded_at, i.session_id, i.person_id),
    ):
        capacity = sessions[invitation.session_id].capacity
        if capacity is not None and seats[invitation.session_id] >= capacity:
            invitation.waitlisted_at = invitation.responded_at
        else:
            invitation.waitlisted_at = None
            seats[invitation.session_id] += 1
    Invitation.objects.bulk_create(new, batch_size=BULK_BATCH)
    rows_saved_announce(model=Invitation, ids=[i.pk for i in new if i.pk is not None])
    return new


# -- answers and the waitlist ----------------------------------------------------------------------


@transaction.atomic
def rsvp_set(*, session: Session, person: Person, response: str) -> Invitation:
    """Answer for ``person`` (creating their invitation for open sessions).

    A "yes" to a full session joins the waitlist (``waitlisted_at``) instead of taking a seat.
    When a seat holder changes to maybe or no, the first on the waitlist gets the seat and a mail;
    a waitlisted person answering maybe or no leaves the waitlist. The session row is locked
    first (SQLite: the IMMEDIATE transaction), so concurrent answers never overbook. On
    PostgreSQL the lock is FOR NO KEY UPDATE, as for every lock on a session: it orders the
    session's writers but lets a transaction that inserted a row referring to the session pass
    its foreign-key check at commit (FOR UPDATE would block that KEY SHARE lock and deadlock
    with a worker that claimed an invitation's owed mail).
    """
    locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
    if response not in Invitation.Response.values or response == Invitation.Response.PENDING:
        raise ValidationError(gettext("Answer yes, maybe or no."))
    if locked.state == State.CANCELLED:
        raise ValidationError(gettext("This session was cancelled, so it takes no answers."))
    if locked.state != State.SCHEDULED or (locked.end and locked.end <= timezone.now()):
        raise ValidationError(gettext("Only upcoming scheduled sessions take answers."))
    if SessionHost.objects.filter(session=locked, person=person).exists():
        raise ValidationError(gettext("You host this session, so there is nothing to answer."))
    invitation, _ = Invitation.objects.get_or_create(session=locked, person=person)
    now = timezone.now()
    held_seat = invitation.response == Invitation.Response.YES and invitation.waitlisted_at is None
    if response != Invitation.Response.YES:
        invitation.waitlisted_at = None
    elif invitation.response != Invitation.Response.YES:  # a new "yes": a seat or the waitlist
        full = locked.capacity is not None and seats_taken(session=locked) >= locked.capacity
        invitation.waitlisted_at = now if full else None
    invitation.response = response
    invitation.responded_at = now
    invitation.save(update_fields=["response", "responded_at", "waitlisted_at"])
    if held_seat and response != Invitation.Response.YES:
        waitlist_promote(session=locked)
    waitlisted = invitation.waitlisted_at is not None
    transaction.on_commit(
        lambda: signals.rsvp_changed.send_robust(
            Session,
            session_id=locked.pk,
            person_id=person.pk,
            response=response,
            waitlisted=waitlisted,
        ),
        robust=True,
    )
    return invitation


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
    for invitation in promoted:
        invitation.waitlisted_at = None
        transaction.on_commit(partial(invitation_mail_promoted_task.enqueue, invitation.pk))
    return promoted
