"""Sending the feedback form when a session ends, the one reminder, and the tick."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from kshare.feedback import dispatch
from kshare.feedback.dispatch import (
    feedback_dispatch,
    feedback_remind_due,
    feedback_tick,
    sessions_to_dispatch,
)
from kshare.feedback.models import FeedbackRequest
from kshare.feedback.services import feedback_form_current
from kshare.outbox.models import OutboxMessage
from kshare.outbox.services import outbox_tick
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Invitation, State
from kshare.sessions.services import session_mark_held
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_smtp() -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 2},
        }
    }


def held_session(**kwargs):
    now = timezone.now()
    kwargs.setdefault("start", now - timedelta(hours=2))
    kwargs.setdefault("end", now - timedelta(hours=1))
    return PastSessionFactory(**kwargs)


def requested(session) -> list[str]:
    return sorted(
        FeedbackRequest.objects.filter(session=session).values_list("person__email", flat=True)
    )


def test_attendees_get_the_form_and_hosts_do_not():
    host = PersonFactory(email="host@example.com")
    session = held_session(host=host)
    for email in ("ann@example.com", "bob@example.com"):
        AttendanceFactory(session=session, person=PersonFactory(email=email))
    AttendanceFactory(session=session, person=host)
    # Attendance was recorded: RSVPs do not count any more.
    InvitationFactory(
        session=session, person=PersonFactory(email="rsvp@example.com"), response="yes"
    )

    sent = feedback_dispatch(session=session)

    assert sent == 2
    assert requested(session) == ["ann@example.com", "bob@example.com"]
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "bob@example.com"]


def test_without_attendance_the_yes_rsvps_get_the_form_not_maybe_no_or_pending():
    host = PersonFactory(email="host@example.com")
    session = held_session(host=host)
    for email, answer in [
        ("yes@example.com", Invitation.Response.YES),
        ("maybe@example.com", Invitation.Response.MAYBE),
        ("no@example.com", Invitation.Response.NO),
        ("pending@example.com", Invitation.Response.PENDING),
    ]:
        InvitationFactory(session=session, person=PersonFactory(email=email), response=answer)
    InvitationFactory(session=session, person=host, response=Invitation.Response.YES)
    # A waitlisted "yes" never got a seat.
    InvitationFactory(
        session=session,
        person=PersonFactory(email="waitlisted@example.com"),
        response=Invitation.Response.YES,
        waitlisted_at=session.start - timedelta(days=3),
    )

    assert feedback_dispatch(session=session) == 1
    assert requested(session) == ["yes@example.com"]


def test_deactivated_attendees_get_nothing():
    session = held_session()
    AttendanceFactory(session=session, person=PersonFactory(is_active=False))

    assert feedback_dispatch(session=session) == 0
    assert requested(session) == []


def test_dispatch_twice_sends_one_request_and_one_mail_each():
    session = held_session()
    AttendanceFactory(session=session, person=PersonFactory(email="ann@example.com"))

    assert feedback_dispatch(session=session) == 1
    assert feedback_dispatch(session=session) == 0

    assert requested(session) == ["ann@example.com"]
    assert len(mail.outbox) == 1


def test_a_late_attendee_gets_the_form_on_the_next_dispatch_and_only_they_get_mail():
    session = held_session()
    AttendanceFactory(session=session, person=PersonFactory(email="ann@example.com"))
    feedback_dispatch(session=session)
    AttendanceFactory(session=session, person=PersonFactory(email="late@example.com"))

    assert feedback_dispatch(session=session) == 1
    assert [m.to for m in mail.outbox] == [["ann@example.com"], ["late@example.com"]]


@pytest.mark.parametrize(
    "state,start_delta,end_delta",
    [
        (State.PROPOSED, None, None),
        (State.PROPOSED, -3, -2),
        (State.CANCELLED, -3, -2),
        (State.SCHEDULED, 2, 3),  # still to come
        (State.SCHEDULED, -1, 1),  # running now
    ],
)
def test_no_form_for_sessions_that_have_not_ended(state, start_delta, end_delta):
    now = timezone.now()
    session = SessionFactory(
        state=state,
        start=now + timedelta(hours=start_delta) if start_delta is not None else None,
        end=now + timedelta(hours=end_delta) if end_delta is not None else None,
    )
    AttendanceFactory(session=session)
    InvitationFactory(session=session, response=Invitation.Response.YES)

    assert feedback_dispatch(session=session) == 0
    assert FeedbackRequest.objects.count() == 0
    assert mail.outbox == []


def test_a_scheduled_session_whose_end_passed_counts_as_ended():
    now = timezone.now()
    session = ScheduledSessionFactory(start=now - timedelta(hours=2), end=now - timedelta(hours=1))
    AttendanceFactory(session=session, person=PersonFactory(email="ann@example.com"))

    assert feedback_dispatch(session=session) == 1


def test_request_uses_the_current_form_and_closes_after_the_programme_days():
    session = held_session(programme__feedback_open_days=5)
    AttendanceFactory(session=session)
    now = timezone.now().replace(microsecond=0)

    feedback_dispatch(session=session, now=now)

    request = FeedbackRequest.objects.get(session=session)
    assert request.form == feedback_form_current(programme=session.programme)
    assert (request.sent_at, request.closes_at) == (now, now + timedelta(days=5))
    assert (request.mail_pending, request.reminded_at, request.answered) == (False, None, False)


def test_the_mail_has_subject_link_close_date_and_both_parts():
    session = held_session(title="Pandas tricks")
    person = PersonFactory(email="ann@example.com", display_name="Ann", timezone="Europe/Berlin")
    AttendanceFactory(session=session, person=person)
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    session.start, session.end = now - timedelta(hours=2), now - timedelta(hours=1)
    session.save()

    feedback_dispatch(session=session, now=now)

    request = FeedbackRequest.objects.get()
    [message] = mail.outbox
    assert message.subject == "How was “Pandas tricks”? Your feedback"
    link = f"http://127.0.0.1:8000/feedback/r/{request.pk}/"
    assert link in message.body
    assert "The form closes on Monday 16 March 2026, 10:30 (Europe/Berlin)." in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{link}">Give your feedback</a>' in html
    assert "anonymous" not in message.body


def test_a_title_with_a_line_break_is_one_line_in_the_subject_and_the_form_is_mailed():
    session = held_session(title="Pandas\ntricks")
    AttendanceFactory(session=session, person=PersonFactory(email="ann@example.com"))

    assert feedback_dispatch(session=session) == 1

    assert [m.subject for m in mail.outbox] == ["How was “Pandas tricks”? Your feedback"]
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT


def test_the_mail_says_so_when_the_programme_is_anonymous():
    session = held_session(programme__feedback_anonymous=True, programme__name="Tech talks")
    AttendanceFactory(session=session)

    feedback_dispatch(session=session)

    [message] = mail.outbox
    sentence = (
        "Your feedback is anonymous: the hosts and organisers of Tech talks cannot see who "
        "answered what."
    )
    assert sentence in message.body
    assert sentence in message.alternatives[0].content


def test_marking_a_session_held_sends_the_form_after_commit(django_capture_on_commit_callbacks):
    organiser = PersonFactory()
    now = timezone.now()
    session = ScheduledSessionFactory(
        start=now - timedelta(minutes=50), end=now + timedelta(minutes=10)
    )
    AttendanceFactory(session=session, person=PersonFactory(email="ann@example.com"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        session_mark_held(session=session, by=organiser)
        assert FeedbackRequest.objects.count() == 0  # nothing before the commit

    # One callback dispatches the form (others: webhooks, the dashboard's data version).
    assert sum(c.__qualname__.startswith("session_mark_held.") for c in callbacks) == 1
    assert requested(session) == ["ann@example.com"]
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


# --- reminders ----------------------------------------------------------------------------


def sent_request(*, sent_days_ago: float, now, **kwargs):
    session = held_session()
    person = kwargs.pop("person", None) or PersonFactory()
    AttendanceFactory(session=session, person=person)
    feedback_dispatch(session=session, now=now - timedelta(days=sent_days_ago))
    request = FeedbackRequest.objects.get(session=session, person=person)
    if kwargs:
        FeedbackRequest.objects.filter(pk=request.pk).update(**kwargs)
        request.refresh_from_db()
    mail.outbox.clear()
    return request


def test_one_reminder_two_days_after_the_form_was_sent():
    now = timezone.now()
    request = sent_request(sent_days_ago=1.9, now=now, person=PersonFactory(email="a@example.com"))

    assert feedback_remind_due(now=now) == 0
    later = now + timedelta(hours=3)
    assert feedback_remind_due(now=later) == 1
    assert feedback_remind_due(now=later + timedelta(days=3)) == 0

    request.refresh_from_db()
    assert request.reminded_at == later
    [message] = mail.outbox
    assert message.to == ["a@example.com"]
    assert message.subject == f"Reminder: How was “{request.session.title}”? Your feedback"


def test_no_reminder_once_answered_or_closed():
    now = timezone.now()
    sent_request(sent_days_ago=3, now=now, answered=True)
    sent_request(sent_days_ago=3, now=now, closes_at=now - timedelta(minutes=1))

    assert feedback_remind_due(now=now) == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_racing_reminder_runs_send_one_reminder_per_request():
    now = timezone.now()
    requests = [sent_request(sent_days_ago=3, now=now) for _ in range(6)]

    errors = race(lambda i: feedback_remind_due(now=now), threads=4)

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.person.email for r in requests)
    assert list(FeedbackRequest.objects.values_list("reminded_at", flat=True)) == [now] * 6


@pytest.mark.django_db(transaction=True)
def test_racing_dispatches_create_one_request_and_send_one_mail_each():
    session = held_session()
    people = [PersonFactory() for _ in range(5)]
    for person in people:
        AttendanceFactory(session=session, person=person)

    errors = race(lambda i: feedback_dispatch(session=session), threads=4)

    assert errors == []
    assert requested(session) == sorted(p.email for p in people)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


# --- failures and the tick ----------------------------------------------------------------


def test_a_mail_the_server_refuses_stays_in_the_outbox_and_the_outbox_tick_sends_it():
    session = held_session()
    AttendanceFactory(session=session, person=PersonFactory(email="ann@example.com"))

    with override_settings(MAILERS=unreachable_smtp()):
        assert feedback_dispatch(session=session) == 1  # queued in the outbox
        tick = feedback_tick()

    request = FeedbackRequest.objects.get(session=session)
    stored = OutboxMessage.objects.get()
    assert (request.mail_pending, tick.retried, mail.outbox) == (False, 0, [])
    assert (stored.kind, stored.to, stored.status, stored.attempts) == (
        "feedback_request",
        ["ann@example.com"],
        "queued",
        1,
    )

    outbox_tick(now=stored.next_attempt_at)

    stored.refresh_from_db()
    assert stored.status == "sent"
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert feedback_tick().sent == 0  # nothing twice


def test_a_mail_that_cannot_be_queued_keeps_the_request_pending_for_the_next_tick(monkeypatch):
    session = held_session()
    AttendanceFactory(session=session, person=PersonFactory(email="ann@example.com"))

    def broken(message, *, kind):
        raise RuntimeError("database went away")

    monkeypatch.setattr(dispatch, "mail_queue", broken)
    assert feedback_dispatch(session=session) == 0
    request = FeedbackRequest.objects.get(session=session)
    assert (request.mail_pending, mail.outbox) == (True, [])

    monkeypatch.undo()
    tick = feedback_tick()

    request.refresh_from_db()
    assert (tick.sessions, tick.sent, tick.retried) == (0, 0, 1)
    assert request.mail_pending is False
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_a_reminder_the_server_refuses_is_retried_by_the_outbox_and_sent_once():
    now = timezone.now()
    request = sent_request(sent_days_ago=3, now=now)

    with override_settings(MAILERS=unreachable_smtp()):
        assert feedback_remind_due(now=now) == 1
    request.refresh_from_db()
    stored = OutboxMessage.objects.get(kind="feedback_reminder")
    assert (request.reminded_at, stored.status, mail.outbox) == (now, "queued", [])

    assert feedback_remind_due(now=now) == 0
    outbox_tick(now=stored.next_attempt_at)
    assert [m.subject[:9] for m in mail.outbox] == ["Reminder:"]


def test_a_reminder_that_cannot_be_queued_is_retried_and_sent_once(monkeypatch):
    now = timezone.now()
    request = sent_request(sent_days_ago=3, now=now)

    def broken(message, *, kind):
        raise RuntimeError("database went away")

    monkeypatch.setattr(dispatch, "mail_queue", broken)
    assert feedback_remind_due(now=now) == 0
    request.refresh_from_db()
    assert request.reminded_at is None

    monkeypatch.undo()
    assert feedback_remind_due(now=now) == 1
    assert feedback_remind_due(now=now) == 0
    assert len(mail.outbox) == 1


def test_tick_dispatches_sessions_that_ended_in_the_last_14_days():
    now = timezone.now()
    recent = held_session(end=now - timedelta(days=13), start=now - timedelta(days=13, hours=1))
    old = held_session(end=now - timedelta(days=15), start=now - timedelta(days=15, hours=1))
    over = ScheduledSessionFactory(start=now - timedelta(hours=2), end=now - timedelta(hours=1))
    future = ScheduledSessionFactory()
    for session in (recent, old, over, future):
        AttendanceFactory(session=session)

    assert list(sessions_to_dispatch(now=now)) == [recent, over]
    tick = feedback_tick(now=now)

    assert (tick.sessions, tick.sent) == (2, 2)
    assert sorted(FeedbackRequest.objects.values_list("session_id", flat=True)) == sorted(
        [recent.pk, over.pk]
    )
    # Everyone has a request now: the next tick has nothing to dispatch.
    assert list(sessions_to_dispatch(now=now)) == []


def test_tick_skips_sessions_whose_only_recipients_are_hosts_or_already_asked():
    now = timezone.now()
    host = PersonFactory()
    hosts_only = held_session(host=host)
    AttendanceFactory(session=hosts_only, person=host)
    rsvp_hosts_only = held_session(host=host)
    InvitationFactory(session=rsvp_hosts_only, person=host, response=Invitation.Response.YES)
    attended_no_rsvp = held_session()
    AttendanceFactory(session=attended_no_rsvp)
    feedback_dispatch(session=attended_no_rsvp)
    InvitationFactory(session=attended_no_rsvp, response=Invitation.Response.YES)

    assert list(sessions_to_dispatch(now=now)) == []


def test_the_tick_query_is_bounded(django_assert_num_queries):
    now = timezone.now()
    for _ in range(3):
        held_session(end=now - timedelta(days=20), start=now - timedelta(days=20, hours=1))

    # Sessions to dispatch, pending mails, due reminders; then release.py: host answers due,
    # closing decisions due, batches due; then summary.py: hosts' summaries due.
    with django_assert_num_queries(7):
        feedback_tick(now=now)
