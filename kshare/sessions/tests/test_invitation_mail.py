"""What is owed stays on the rows: a batch cut short sends the rest when run again, the sweep
finds what a lost task never sent, and no path sends a mail twice. (Killing a real worker:
test_worker_killed.py.)"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kshare.core.tests.daytime import daytime_zone
from kshare.people.tests.factories import PersonFactory
from kshare.sessions import services
from kshare.sessions.invitation_mail import (
    SWEEP_AFTER,
    invitation_mail_due_send,
    invitations_mail_due,
    invitations_sweep,
)
from kshare.sessions.invitations import invitations_create, rsvp_set
from kshare.sessions.models import Invitation, Session
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.sessions.tests.test_invitations import host_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


def _recipients() -> Counter:
    return Counter(message.to[0] for message in mail.outbox)


def _invited_without_the_task(capture, count: int) -> tuple[Session, list[Invitation]]:
    """Invite ``count`` people; the on-commit task is dropped, as a killed worker drops it."""
    session = ScheduledSessionFactory(title="Kafka basics")
    people = [PersonFactory(email=f"p{i}@example.com") for i in range(count)]
    with capture():  # the task is never run
        invitations_create(session=session, by=host_of(session), people=people)
    return session, list(Invitation.objects.filter(session=session).order_by("pk"))


def test_inviting_marks_each_invitation_owed_in_the_same_transaction(
    django_capture_on_commit_callbacks,
):
    before = timezone.now()
    _session, invitations = _invited_without_the_task(django_capture_on_commit_callbacks, 3)
    assert all(before <= i.mail_due_at <= timezone.now() for i in invitations)
    assert [(i.mailed_at, i.mailed_sequence) for i in invitations] == [(None, None)] * 3
    assert mail.outbox == []


def test_a_batch_cut_short_sends_only_the_rest_when_run_again(django_capture_on_commit_callbacks):
    _session, invitations = _invited_without_the_task(django_capture_on_commit_callbacks, 5)
    # The worker sent two, then died; the task runs again (its row was taken back).
    assert [invitation_mail_due_send(invitation_id=i.pk) for i in invitations[:2]] == [
        "invitation",
        "invitation",
    ]
    assert invitations_mail_due(invitation_ids=[i.pk for i in invitations]) == 3
    assert invitations_mail_due(invitation_ids=[i.pk for i in invitations]) == 0
    assert _recipients() == Counter({f"p{i}@example.com": 1 for i in range(5)})
    assert set(Invitation.objects.values_list("mail_due_at", "mailed_sequence").distinct()) == {
        (None, 0)
    }


def test_the_sweep_sends_what_a_lost_task_never_sent_and_the_task_then_sends_nothing(
    django_capture_on_commit_callbacks,
):
    _session, invitations = _invited_without_the_task(django_capture_on_commit_callbacks, 4)
    now = timezone.now()
    assert invitations_sweep(now=now).calendar == 0  # the task still has its minute
    result = invitations_sweep(now=now + SWEEP_AFTER + timedelta(seconds=1))
    assert (result.calendar, result.promoted, result.expired) == (4, 0, 0)
    assert invitations_sweep(now=now + 2 * SWEEP_AFTER).calendar == 0
    # The task was only late, not lost: it finds nothing owed.
    assert invitations_mail_due(invitation_ids=[i.pk for i in invitations]) == 0
    assert _recipients() == Counter({f"p{i}@example.com": 1 for i in range(4)})


def test_a_reschedule_owes_the_new_time_even_to_those_whose_invitation_is_still_owed(
    django_capture_on_commit_callbacks,
):
    session, invitations = _invited_without_the_task(django_capture_on_commit_callbacks, 2)
    invitation_mail_due_send(invitation_id=invitations[0].pk)  # one invitation went out
    new_start = (timezone.now() + timedelta(days=40)).replace(microsecond=0)
    with django_capture_on_commit_callbacks():  # the change's task is lost too
        services.session_schedule(session=session, start=new_start, by=host_of(session))
    mail.outbox.clear()
    invitations_sweep(now=timezone.now() + SWEEP_AFTER + timedelta(seconds=1))
    # The one mailed gets the new time; the other gets one invitation, with the new time.
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == [
        ("p0@example.com", "New time"),
        ("p1@example.com", "Invitation"),
    ]
    assert list(Invitation.objects.order_by("pk").values_list("mailed_sequence", flat=True)) == [
        1,
        1,
    ]


def test_a_cancellation_is_not_sent_to_whom_the_invitation_never_reached(
    django_capture_on_commit_callbacks,
):
    session, invitations = _invited_without_the_task(django_capture_on_commit_callbacks, 2)
    invitation_mail_due_send(invitation_id=invitations[0].pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=session, by=host_of(session), reason="Ill")
    assert [(m.to[0], m.subject.split(":")[0]) for m in mail.outbox] == [
        ("p0@example.com", "Cancelled")
    ]
    assert Invitation.objects.filter(mail_due_at__isnull=False).count() == 0


def test_a_lost_promotion_mail_is_sent_by_the_sweep_once(django_capture_on_commit_callbacks):
    session = ScheduledSessionFactory(capacity=1, title="Pairing on Rust")
    seated, waiting = (
        PersonFactory(email="seated@example.com"),
        PersonFactory(email="w@example.com"),
    )
    rsvp_set(session=session, person=seated, response="yes")
    rsvp_set(session=session, person=waiting, response="yes")
    with django_capture_on_commit_callbacks():  # the promotion mail's task is lost
        rsvp_set(session=session, person=seated, response="no")
    promoted = Invitation.objects.get(person=waiting)
    assert (promoted.waitlisted_at, promoted.promoted_mail_due_at is not None) == (None, True)
    later = timezone.now() + SWEEP_AFTER + timedelta(seconds=1)
    assert invitations_sweep(now=later).promoted == 1
    assert invitations_sweep(now=later).promoted == 0
    [message] = mail.outbox
    assert (message.to, message.subject) == (
        ["w@example.com"],
        "A seat opened up: you are going to Pairing on Rust",
    )


def test_markers_of_a_session_that_is_over_are_dropped_unsent(django_capture_on_commit_callbacks):
    session, _invitations = _invited_without_the_task(django_capture_on_commit_callbacks, 3)
    after_the_end = session.end + timedelta(seconds=1)
    result = invitations_sweep(now=after_the_end)
    assert (result.calendar, result.promoted, result.expired) == (0, 0, 3)
    assert (mail.outbox, Invitation.objects.filter(mail_due_at__isnull=False).count()) == ([], 0)
