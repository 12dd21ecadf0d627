"""Co-hosts by consent: naming someone as co-host asks them; they become a co-host only by
accepting.

Naming (in the propose or edit form, or the API) creates a pending ``CohostInvitation`` and mails
the named person a link to ``/sessions/co-hosting/<id>/``, where they accept or decline. Until
they accept they are no ``SessionHost``: they cannot edit the session, are not listed as a host,
and the visibility rule (``kshare.visibility.rules``) does not let them in on that account.
Only people who may see the session's programme can be named (a co-host could otherwise be
pulled into a programme restricted to other teams).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from kshare.core.language import keeps_language, speak_to
from kshare.outbox.services import mail_queue, one_line
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.mail_owed import hosts_mark_owed
from kshare.sessions.models import CohostInvitation, Session, SessionHost
from kshare.visibility import rules

Status = CohostInvitation.Status


def cohosts_check(*, programme: Programme, people: Iterable[Person]) -> None:
    """Refuse (``ValidationError`` naming them) people who may not see ``programme``."""
    people = list(people)
    allowed = set(
        rules.people_who_may_see_programme(programme=programme)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    refused = sorted((p for p in people if p.pk not in allowed), key=lambda p: p.display_name)
    if refused:
        names = ", ".join(p.display_name or p.email for p in refused)
        raise ValidationError(
            gettext("%(names)s cannot see the programme %(programme)s, so cannot co-host in it.")
            % {"names": names, "programme": programme.name},
            code="cohost_not_visible",
        )


@keeps_language
def _mail(invitation: CohostInvitation) -> None:
    speak_to(invitation.person)
    context = {
        "invitation": invitation,
        "session": invitation.session,
        "person": invitation.person,
        "invited_by": invitation.invited_by,
        "link": settings.SITE_URL + invitation.get_absolute_url(),
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }
    title = invitation.session.title
    subject = (
        gettext("%(name)s asks you to co-host “%(title)s”")
        % {"name": invitation.invited_by.display_name, "title": title}
        if invitation.invited_by
        else gettext("Someone asks you to co-host “%(title)s”") % {"title": title}
    )
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=render_to_string("sessions/email/cohost_invitation.txt", context),
        to=[invitation.person.email],
    )
    message.attach_alternative(
        render_to_string("sessions/email/cohost_invitation.html", context), "text/html"
    )
    mail_queue(message, kind="cohost_invitation")


@transaction.atomic
def cohosts_name(
    *, session: Session, people: Iterable[Person], by: Person
) -> list[CohostInvitation]:
    """Ask ``people`` to co-host ``session``: a pending invitation and a mail each.

    People who host it already or were already asked (and have not declined) are left alone;
    someone who declined and is named again is asked again. Refuses the whole list when one of
    them may not see the programme. Returns the invitations that were sent.
    """
    people = [p for p in {p.pk: p for p in people}.values() if p.pk != by.pk]
    cohosts_check(programme=session.programme, people=people)
    hosting = set(SessionHost.objects.filter(session=session).values_list("person_id", flat=True))
    existing = {
        i.person_id: i for i in CohostInvitation.objects.filter(session=session, person__in=people)
    }
    sent = []
    for person in people:
        if person.pk in hosting:
            continue
        invitation = existing.get(person.pk)
        if invitation is None:
            invitation = CohostInvitation.objects.create(
                session=session, person=person, invited_by=by
            )
        elif invitation.status == Status.DECLINED:
            invitation.status, invitation.answered_at, invitation.invited_by = (
                Status.PENDING,
                None,
                by,
            )
            invitation.save(update_fields=["status", "answered_at", "invited_by"])
        else:
            continue
        invitation.session, invitation.person = session, person
        _mail(invitation)
        sent.append(invitation)
    return sent


@transaction.atomic
def cohosts_set(*, session: Session, people: Iterable[Person], by: Person) -> None:
    """The co-hosts of ``session`` become ``people``: accepted co-hosts and pending invitations
    of anyone left out are removed, new names are asked (``cohosts_name``)."""
    people = list(people)
    keep = {p.pk for p in people}
    SessionHost.objects.filter(session=session, role=SessionHost.Role.COHOST).exclude(
        person_id__in=keep
    ).delete()
    CohostInvitation.objects.filter(session=session).exclude(person_id__in=keep).delete()
    cohosts_name(session=session, people=people, by=by)


@transaction.atomic
def cohost_answer(*, invitation: CohostInvitation, person: Person, accept: bool) -> None:
    """``person`` accepts (becomes a co-host) or declines the invitation ``invitation``.

    Only the named person answers; an answered invitation is not answered again.
    """
    locked = CohostInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.person_id != person.pk:
        raise PermissionDenied(gettext("Only the person asked can answer."))
    if locked.status != Status.PENDING:
        raise ValidationError(gettext("You answered this already."), code="answered")
    locked.status = Status.ACCEPTED if accept else Status.DECLINED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    if accept:
        link, _ = SessionHost.objects.get_or_create(
            session_id=locked.session_id,
            person=person,
            defaults={"role": SessionHost.Role.COHOST},
        )
        session = Session.objects.get(pk=locked.session_id)
        if session.is_upcoming:  # scheduled already: the new co-host's calendar gets it now
            hosts_mark_owed(session=session, links=SessionHost.objects.filter(pk=link.pk))
    invitation.status, invitation.answered_at = locked.status, locked.answered_at


def cohost_invitations_for(*, person: Person) -> QuerySet[CohostInvitation]:
    """``person``'s pending co-host invitations, newest first."""
    return CohostInvitation.objects.filter(person=person, status=Status.PENDING).select_related(
        "session", "invited_by"
    )


def cohost_invitation_get(*, person: Person, pk: int) -> CohostInvitation | None:
    """The invitation ``pk`` if it was sent to ``person`` (anyone else: ``None``, a 404)."""
    return (
        CohostInvitation.objects.filter(pk=pk, person=person)
        .select_related("session__programme", "invited_by")
        .first()
    )


def cohost_names_pending(*, session: Session) -> list[Person]:
    """People asked to co-host ``session`` who have not answered yet."""
    return [
        i.person
        for i in CohostInvitation.objects.filter(
            session=session, status=Status.PENDING
        ).select_related("person")
    ]
