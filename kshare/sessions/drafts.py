"""Drafts proposed on someone's behalf: the prospective host is asked, and answers.

An organiser who turns a prospective host's "I'd like to host" into a draft
(``feedback.hosts.prospect_session_propose``) proposes a session *hosted by someone else*. The
draft records who proposed it (``Session.proposed_by``, shown on the session page) and the host
gets a mail with a link to ``/sessions/<id>/hosting/``, where two buttons (plain forms, no
JavaScript needed) accept or decline:

- accepting confirms they host it (``host_accepted_at``) and tells the proposer;
- declining withdraws the draft (cancelled, with "declined to host" in its history) and tells
  the proposer, who can find someone else.

The mails are queued in the outbox inside the transaction that proposes or answers, so they
exist exactly when the change does (``kshare.sessions.draft_mail``, which ``session_propose``
calls as well).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from kshare.core.language import keeps_language, speak_to
from kshare.outbox.services import one_line
from kshare.people.models import Person
from kshare.sessions.draft_mail import ACCEPTED, DECLINED, draft_mail_send
from kshare.sessions.models import (
    NOTE_ACCEPTED_TO_HOST,
    NOTE_DECLINED_TO_HOST,
    Session,
    SessionChange,
    SessionHost,
    State,
)
from kshare.sessions.services import session_cancel

NOTHING_TO_ANSWER = {
    State.PROPOSED: gettext_lazy("This draft is proposed: there is nothing to answer."),
    State.SCHEDULED: gettext_lazy("This draft is scheduled: there is nothing to answer."),
    State.HELD: gettext_lazy("This draft is held: there is nothing to answer."),
    State.CANCELLED: gettext_lazy("This draft is cancelled: there is nothing to answer."),
}


def draft_host(session: Session) -> SessionHost | None:
    """The main host's link of ``session`` (the person the draft was proposed for)."""
    return (
        SessionHost.objects.filter(session=session, role=SessionHost.Role.HOST)
        .select_related("person")
        .order_by("id")
        .first()
    )


@keeps_language
@transaction.atomic
def draft_answer(*, session: Session, person: Person, accept: bool) -> Session:
    """``person`` accepts or declines hosting the draft ``session`` proposed on their behalf.

    Only its host answers, once, while it is still a proposal. Declining withdraws the draft
    (cancelled, the reason in its history); either way the proposer gets a mail.
    """
    locked = (
        Session.objects.select_for_update(of=("self",), no_key=True)
        .select_related("programme", "proposed_by")
        .get(pk=session.pk)
    )
    link = draft_host(locked)
    if link is None or link.person_id != person.pk or locked.proposed_by_id is None:
        raise PermissionDenied(gettext("Only the person this draft was proposed for can answer."))
    if locked.host_accepted_at is not None:
        raise ValidationError(
            gettext("You accepted to host this session already."), code="answered"
        )
    if locked.state != State.PROPOSED:
        raise ValidationError(
            NOTHING_TO_ANSWER[State(locked.state)],
            code="answered",
        )
    proposer = locked.proposed_by
    if accept:
        locked.host_accepted_at = timezone.now()
        locked.save(update_fields=["host_accepted_at", "updated_at"])
        SessionChange.objects.create(
            session=locked,
            kind=SessionChange.Kind.EDITED,
            by=person,
            from_state=State.PROPOSED,
            to_state=State.PROPOSED,
            note=NOTE_ACCEPTED_TO_HOST,
        )
        if proposer is not None and proposer.is_active:
            speak_to(proposer)
            draft_mail_send(
                kind=ACCEPTED,
                to=proposer,
                subject=gettext("%(name)s will host “%(title)s”")
                % {"name": one_line(person.display_name), "title": one_line(locked.title)},
                session=locked,
                host=person,
            )
    else:
        session_cancel(session=locked, by=person, reason=NOTE_DECLINED_TO_HOST)
        if proposer is not None and proposer.is_active:
            speak_to(proposer)
            draft_mail_send(
                kind=DECLINED,
                to=proposer,
                subject=gettext("%(name)s declined to host “%(title)s”")
                % {"name": one_line(person.display_name), "title": one_line(locked.title)},
                session=locked,
                host=person,
            )
    session.host_accepted_at, session.state = locked.host_accepted_at, locked.state
    return locked
