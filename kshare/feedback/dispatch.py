"""Sending feedback forms when sessions end, the one reminder, and the periodic tick.

Every function is safe to run again and to run in several workers at once:

- a request is created at most once per (session, person) — the unique constraint plus
  ``bulk_create(ignore_conflicts=True)`` — with ``mail_pending`` set;
- a mail is queued only by the call whose ``UPDATE … WHERE mail_pending`` (or
  ``WHERE reminded_at IS NULL`` for the reminder) changed the row, so racing workers never
  mail one person twice. The update and the outbox row commit together; the outbox sends the
  mail and retries it with back-off while the mail server is away, so none is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kshare.core.language import keeps_language, speak_to, when
from kshare.feedback.models import FeedbackForm, FeedbackRequest
from kshare.feedback.release import feedback_release_due
from kshare.feedback.services import feedback_form_current
from kshare.feedback.summary import host_summaries_send
from kshare.outbox.services import mail_queue, one_line
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.models import Attendance, Invitation, Session, SessionHost, State

logger = logging.getLogger(__name__)

REMIND_AFTER = timedelta(days=2)
# Sessions that ended longer ago than this are not dispatched by the tick any more.
DISPATCH_WINDOW = timedelta(days=14)
# Upper bound of mails one tick sends per kind; the rest wait for the next tick.
TICK_BATCH = 500


@dataclass(frozen=True)
class TickResult:
    sessions: int
    sent: int
    reminded: int
    retried: int
    released: int = 0
    hosts_released: int = 0
    summaries: int = 0  # hosts' summary mails queued (``summary``)


def _ended(now: datetime) -> Q:
    """Held, or scheduled with its end time passed."""
    return Q(state=State.HELD) | Q(state=State.SCHEDULED, end__lte=now)


def feedback_recipients(*, session: Session) -> QuerySet[Person]:
    """Who gets the form: the attendees, or the "yes" RSVPs where no attendance was recorded.

    Hosts and co-hosts never get it; neither do deactivated accounts.
    """
    people = Person.objects.filter(is_active=True).exclude(
        pk__in=SessionHost.objects.filter(session=session).values("person_id")
    )
    attendees = Attendance.objects.filter(session=session)
    if attendees.exists():
        return people.filter(pk__in=attendees.values("person_id"))
    # A waitlisted "yes" never had a seat: no form for them.
    going = Invitation.objects.filter(
        session=session, response=Invitation.Response.YES, waitlisted_at__isnull=True
    )
    return people.filter(pk__in=going.values("person_id"))


def feedback_link(*, request_id: int) -> str:
    """The absolute link to answer one request."""
    return settings.SITE_URL + reverse("feedback:respond", args=[request_id])


@keeps_language
def _mail(*, request: FeedbackRequest, reminder: bool) -> None:
    session, person = request.session, request.person
    speak_to(person)
    context = {
        "person": person,
        "session": session,
        "programme": session.programme,
        "link": feedback_link(request_id=request.pk),
        # Formatted here: templates would convert aware times back to the active timezone.
        "closes": when(request.closes_at, person.tzinfo),
        "anonymous": session.programme.feedback_anonymous,
        "reminder": reminder,
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }
    if reminder:
        subject = _("Reminder: How was “%(title)s”? Your feedback")
    else:
        subject = _("How was “%(title)s”? Your feedback")
    subject = subject % {"title": one_line(session.title)}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("feedback/email/request.txt", context),
        to=[person.email],
    )
    message.attach_alternative(
        render_to_string("feedback/email/request.html", context), "text/html"
    )
    mail_queue(message, kind="feedback_reminder" if reminder else "feedback_request")


def _send_pending(requests: QuerySet[FeedbackRequest]) -> int:
    """Mail every request whose pending flag this call clears; returns the mails sent."""
    sent = 0
    for request in requests.filter(mail_pending=True).select_related(
        "session__programme", "person"
    ):
        try:
            with transaction.atomic():
                claimed = FeedbackRequest.objects.filter(pk=request.pk, mail_pending=True).update(
                    mail_pending=False
                )
                if claimed != 1:  # another worker has it
                    continue
                _mail(request=request, reminder=False)
        except DatabaseError:
            raise  # the task fails and the flag is still set: the next tick tries again
        except Exception:
            # Kept, not lost: the flag stays set (rolled back) and the next tick tries again.
            logger.exception("Feedback mail for request %s failed; retried later", request.pk)
            continue
        sent += 1
    return sent


def _form_current(*, programme: Programme) -> FeedbackForm:
    try:
        with transaction.atomic():
            return feedback_form_current(programme=programme)
    except IntegrityError:  # a concurrent dispatch created the default form first
        return FeedbackForm.objects.get(programme=programme, is_current=True)


def feedback_dispatch(*, session: Session, now: datetime | None = None) -> int:
    """Send the programme's current form to everyone who should answer for ``session``.

    Only a session that has ended counts (held, or scheduled with its end passed). Each
    recipient gets one request, open for the programme's ``feedback_open_days``, and one mail;
    running again creates and mails nothing new. Returns the number of mails this call sent.
    """
    now = now or timezone.now()
    ended = Session.objects.filter(_ended(now), pk=session.pk).select_related("programme")
    current = ended.first()
    if current is None:
        return 0
    session = current
    programme = session.programme
    have = FeedbackRequest.objects.filter(session=session).values("person_id")
    missing = list(
        feedback_recipients(session=session).exclude(pk__in=have).values_list("pk", flat=True)
    )
    if missing:
        form = _form_current(programme=programme)
        closes_at = now + timedelta(days=programme.feedback_open_days)
        FeedbackRequest.objects.bulk_create(
            [
                FeedbackRequest(
                    session=session,
                    person_id=person_id,
                    form=form,
                    sent_at=now,
                    closes_at=closes_at,
                    mail_pending=True,
                )
                for person_id in missing
            ],
            ignore_conflicts=True,
        )
    return _send_pending(FeedbackRequest.objects.filter(session=session, closes_at__gt=now))


def feedback_remind_due(*, now: datetime | None = None) -> int:
    """One reminder, two days after the form was sent, to those who have not answered yet.

    Never twice: the reminder is queued only by the call whose update set ``reminded_at``
    (in one transaction with the outbox row). Returns the reminders queued.
    """
    now = now or timezone.now()
    due = (
        FeedbackRequest.objects.filter(
            answered=False,
            reminded_at__isnull=True,
            mail_pending=False,
            sent_at__lte=now - REMIND_AFTER,
            closes_at__gt=now,
        )
        .select_related("session__programme", "person")
        .order_by("sent_at", "id")[:TICK_BATCH]
    )
    sent = 0
    for request in due:
        try:
            with transaction.atomic():
                claimed = FeedbackRequest.objects.filter(
                    pk=request.pk, reminded_at__isnull=True, answered=False
                ).update(reminded_at=now)
                if claimed != 1:
                    continue
                _mail(request=request, reminder=True)
        except DatabaseError:
            raise
        except Exception:
            logger.exception("Feedback reminder for request %s failed; retried later", request.pk)
            continue
        sent += 1
    return sent


def sessions_to_dispatch(*, now: datetime | None = None) -> QuerySet[Session]:
    """Sessions that ended in the last 14 days and still have someone without a request."""
    now = now or timezone.now()
    no_request = ~Exists(
        FeedbackRequest.objects.filter(session=OuterRef("session"), person=OuterRef("person"))
    )
    not_host = ~Exists(
        SessionHost.objects.filter(session=OuterRef("session"), person=OuterRef("person"))
    )
    attended = Attendance.objects.filter(session=OuterRef("pk"))
    attendee_waiting = attended.filter(no_request, not_host, person__is_active=True)
    yes_waiting = Invitation.objects.filter(
        no_request,
        not_host,
        session=OuterRef("pk"),
        response=Invitation.Response.YES,
        waitlisted_at__isnull=True,
        person__is_active=True,
    )
    return (
        Session.objects.filter(_ended(now), end__gte=now - DISPATCH_WINDOW)
        .filter(Exists(attendee_waiting) | (~Exists(attended) & Exists(yes_waiting)))
        .order_by("end", "id")
    )


def feedback_retry_pending(*, now: datetime | None = None) -> int:
    """Queue the form mails that could not be queued before, while their forms are open."""
    now = now or timezone.now()
    pending = FeedbackRequest.objects.filter(mail_pending=True, closes_at__gt=now)
    ids = list(pending.order_by("sent_at", "id").values_list("pk", flat=True)[:TICK_BATCH])
    return _send_pending(FeedbackRequest.objects.filter(pk__in=ids))


def feedback_tick(*, now: datetime | None = None) -> TickResult:
    """The periodic work: dispatch ended sessions, send due reminders, retry failed mails,
    release anonymous responses and held host answers (``release``), then the hosts'
    summaries of sessions whose feedback has closed (``summary``)."""
    now = now or timezone.now()
    sessions = list(sessions_to_dispatch(now=now)[:TICK_BATCH])
    sent = sum(feedback_dispatch(session=session, now=now) for session in sessions)
    retried = feedback_retry_pending(now=now)
    reminded = feedback_remind_due(now=now)
    release = feedback_release_due(now=now)
    # After the release: a summary waits for the last batch and the held host answers.
    summaries = host_summaries_send(now=now)
    return TickResult(
        sessions=len(sessions),
        sent=sent,
        reminded=reminded,
        retried=retried,
        released=release.responses,
        hosts_released=release.hosts,
        summaries=summaries,
    )
