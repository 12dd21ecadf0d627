"""Every write to topic requests: views, tasks and the demo all call these."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from kshare.core.language import keeps_language, speak_to, when
from kshare.outbox.services import mail_queue, one_line
from kshare.people.models import Person
from kshare.sessions.models import Session, SessionHost, State
from kshare.sessions.selectors import sessions_visible_to
from kshare.sessions.services import session_propose
from kshare.tags.models import Tag
from kshare.topics.models import (
    TopicNotification,
    TopicRequest,
    TopicVolunteer,
    TopicVote,
)


@transaction.atomic
def topic_request_create(
    *, requester: Person, title: str, description: str = "", tags: Sequence[Tag] = ()
) -> TopicRequest:
    """Ask for a topic. The requester's own +1 is recorded with it.

    Asking is the first +1: the demand a request shows ("requested by N people") counts the
    requester, and the requester is told like every other +1 when a session is scheduled. The
    requester may withdraw that +1 like anyone else.
    """
    request = TopicRequest.objects.create(requester=requester, title=title, description=description)
    request.tags.set(tags)
    TopicVote.objects.create(request=request, person=requester)
    return request


def _require_open(request: TopicRequest) -> None:
    if request.status != TopicRequest.Status.OPEN:
        raise ValidationError(
            _("This request is %(status)s: it takes no more +1s or volunteers.")
            % {"status": request.get_status_display().lower()}
        )


def topic_vote_set(*, request: TopicRequest, person: Person, on: bool) -> bool:
    """Set ``person``'s +1 on ``request`` to ``on``; returns whether a row changed.

    An explicit desired state, not a toggle: a double click or two concurrent requests both
    asking for "on" leave exactly one vote (the unique constraint decides, the loser's
    IntegrityError is swallowed in its own savepoint).
    """
    if not on:
        deleted, _ = TopicVote.objects.filter(request=request, person=person).delete()
        return deleted > 0
    _require_open(request)
    try:
        with transaction.atomic():
            TopicVote.objects.create(request=request, person=person)
    except IntegrityError:
        return False
    return True


def topic_volunteer_set(
    *, request: TopicRequest, person: Person, on: bool, note: str = ""
) -> TopicVolunteer | None:
    """Offer (``on``) or withdraw an offer to host ``request``; a second offer updates the note."""
    if not on:
        TopicVolunteer.objects.filter(request=request, person=person).delete()
        return None
    _require_open(request)
    try:
        with transaction.atomic():
            return TopicVolunteer.objects.create(request=request, person=person, note=note)
    except IntegrityError:
        volunteer = TopicVolunteer.objects.get(request=request, person=person)
        if volunteer.note != note:
            volunteer.note = note
            volunteer.save(update_fields=["note"])
        return volunteer


def topic_request_can_propose(*, request: TopicRequest, person: Person) -> bool:
    """Volunteers turn a request into a session; organisers and admins may as well."""
    if not person.is_authenticated or not person.is_active:
        return False
    if person.is_organiser:
        return True
    return TopicVolunteer.objects.filter(request=request, person=person).exists()


@transaction.atomic
def topic_request_link(*, request: TopicRequest, session: Session, by: Person) -> TopicRequest:
    """Make ``session`` the answer to ``request``; ``by`` (who proposed it) becomes a volunteer.

    Raises ValidationError when the request is no longer open or another session answers it.
    """
    locked = TopicRequest.objects.select_for_update().get(pk=request.pk)
    _require_open(locked)
    if locked.session_id is not None and locked.session_id != session.pk:
        raise ValidationError(_("Another session already answers this request."))
    locked.session = session
    locked.save(update_fields=["session"])
    topic_volunteer_set(request=locked, person=by, on=True, note=_existing_note(locked, by))
    request.session = session
    return locked


def _existing_note(request: TopicRequest, person: Person) -> str:
    return (
        TopicVolunteer.objects.filter(request=request, person=person)
        .values_list("note", flat=True)
        .first()
        or ""
    )


@transaction.atomic
def topic_request_propose(*, request: TopicRequest, by: Person) -> Session:
    """One step from request to session proposal: title, abstract and tags come from the request.

    Only volunteers (and organisers/admins) may. The request stays open, linked to the new
    session, until that session is scheduled.
    """
    if not topic_request_can_propose(request=request, person=by):
        raise PermissionDenied(_("Volunteer to host this topic first; then you can propose it."))
    locked = TopicRequest.objects.select_for_update().get(pk=request.pk)
    _require_open(locked)
    if locked.session_id is not None:
        raise ValidationError(_("A session was already proposed for this request."))
    session = session_propose(
        by=by,
        title=locked.title,
        abstract=locked.description,
        tags=list(locked.tags.all()),
    )
    topic_request_link(request=locked, session=session, by=by)
    request.session = session
    return session


@keeps_language
def _notification_send(*, person: Person, request: TopicRequest, session: Session) -> None:
    speak_to(person)
    context = {
        "person": person,
        "request": request,
        "session": session,
        # Formatted here: templates would convert aware times back to the active timezone.
        # The active language's way (day and month names, order), not strftime's English.
        "when": when(session.start, person.tzinfo) if session.start else "",
        "link": settings.SITE_URL + session.get_absolute_url(),
        "request_link": settings.SITE_URL + request.get_absolute_url(),
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }
    subject = one_line(render_to_string("topics/email/scheduled_subject.txt", context))
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("topics/email/scheduled_body.txt", context),
        to=[person.email],
    )
    message.attach_alternative(
        render_to_string("topics/email/scheduled_body.html", context), "text/html"
    )
    mail_queue(message, kind="topic_scheduled")


def topic_requests_notify_scheduled(*, session: Session) -> int:
    """Tell requesters and +1s that a session on their topic is scheduled; returns mails sent.

    Requests linked to ``session`` and open requests sharing at least one tag with it count.
    Each person gets at most one mail per session, ever: a TopicNotification row is written in
    the same transaction as the mail is queued in the outbox, so a rerun or a reschedule mails
    nobody twice; the outbox retries a mail the server refused. Only people who can see the
    session are told; its hosts are not. Linked requests become *scheduled*.
    """
    current = Session.objects.filter(pk=session.pk, state=State.SCHEDULED).first()
    if current is None:
        return 0
    session = current
    tag_ids = list(session.tags.values_list("pk", flat=True))
    linked = list(TopicRequest.objects.filter(session=session).order_by("created_at", "id"))
    related = list(
        TopicRequest.objects.filter(status=TopicRequest.Status.OPEN, tags__in=tag_ids)
        .exclude(session=session)
        .distinct()
        .order_by("created_at", "id")
    )
    requests = {r.pk: r for r in linked + related}
    # The first request that concerns a person is the one their mail names.
    first_request: dict[int, int] = {}
    for request in requests.values():
        first_request.setdefault(request.requester_id, request.pk)
    votes = TopicVote.objects.filter(request__in=list(requests)).order_by("created_at", "id")
    for request_id, person_id in votes.values_list("request_id", "person_id"):
        first_request.setdefault(person_id, request_id)
    hosts = set(SessionHost.objects.filter(session=session).values_list("person_id", flat=True))
    already = set(
        TopicNotification.objects.filter(session=session).values_list("person_id", flat=True)
    )
    sent = 0
    for person in Person.objects.filter(pk__in=set(first_request) - hosts - already):
        if not sessions_visible_to(person=person).filter(pk=session.pk).exists():
            continue
        request = requests[first_request[person.pk]]
        try:
            with transaction.atomic():
                TopicNotification.objects.create(request=request, person=person, session=session)
                _notification_send(person=person, request=request, session=session)
        except IntegrityError:  # a concurrent run told them already
            continue
        sent += 1
    TopicRequest.objects.filter(pk__in=[r.pk for r in linked]).exclude(
        status=TopicRequest.Status.CLOSED
    ).update(status=TopicRequest.Status.SCHEDULED)
    return sent
