"""The domain signals (kshare/sessions/signals.py): sent once per change, on commit, with the
documented arguments; ``session_changing`` inside the transaction; and who listens."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from kshare.core.tests.daytime import daytime_zone
from kshare.people.tests.factories import PersonFactory
from kshare.sessions import invitations, services, signals
from kshare.sessions.attendance import attendance_add
from kshare.sessions.drafts import draft_answer
from kshare.sessions.models import Attendance, Invitation, Session, State
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


ON_COMMIT = {
    "session_proposed": signals.session_proposed,
    "session_scheduled": signals.session_scheduled,
    "session_rescheduled": signals.session_rescheduled,
    "session_cancelled": signals.session_cancelled,
    "session_held": signals.session_held,
    "session_changed": signals.session_changed,
    "rsvp_changed": signals.rsvp_changed,
    "attendance_added": signals.attendance_added,
}


class Heard:
    """What each signal was sent with, and whether a transaction was open at the time."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.changing: list[tuple[int, str, bool]] = []

    def names(self) -> list[str]:
        return [name for name, _ in self.sent]


@pytest.fixture
def heard():
    record = Heard()
    receivers = []
    for name, signal in ON_COMMIT.items():

        def receiver(sender, signal, _name=name, **kwargs):
            assert sender is Session
            record.sent.append((_name, kwargs))

        signal.connect(receiver, weak=False, dispatch_uid=f"test-{name}")
        receivers.append((signal, name))

    def changing(sender, session, change, **kwargs):
        # The pytest-django test transaction is the outer block: the service's is inside it.
        record.changing.append((session.pk, change, connection.in_atomic_block))

    signals.session_changing.connect(changing, weak=False, dispatch_uid="test-changing")
    yield record
    for signal, name in receivers:
        signal.disconnect(dispatch_uid=f"test-{name}")
    signals.session_changing.disconnect(dispatch_uid="test-changing")


def _future(days: int):
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


def test_scheduling_sends_session_scheduled_once_on_commit(
    heard, django_capture_on_commit_callbacks
):
    organiser = PersonFactory()
    session = SessionFactory()
    start = _future(30)

    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(session=session, start=start, by=organiser)
        assert heard.sent == []  # not before the commit
        assert heard.changing == [(session.pk, signals.SCHEDULED, True)]

    assert heard.sent == [
        ("session_scheduled", {"session_id": session.pk, "by": organiser, "start": start})
    ]


def test_a_rolled_back_change_announces_nothing(heard, django_capture_on_commit_callbacks):
    organiser = PersonFactory()
    session = SessionFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.session_schedule(session=session, start=_future(30), by=organiser)
        raise RuntimeError("rolled back")

    assert heard.sent == []
    assert callbacks == []
    session.refresh_from_db()
    assert session.state == State.PROPOSED


def test_scheduling_again_sends_session_rescheduled_with_both_starts(
    heard, django_capture_on_commit_callbacks
):
    organiser = PersonFactory()
    session = ScheduledSessionFactory()
    old_start, new_start = session.start, _future(40)

    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(session=session, start=new_start, by=organiser)

    assert heard.sent == [
        (
            "session_rescheduled",
            {
                "session_id": session.pk,
                "by": organiser,
                "old_start": old_start,
                "new_start": new_start,
            },
        )
    ]
    assert heard.changing == [(session.pk, signals.RESCHEDULED, True)]


def test_an_edit_sends_session_changed_and_a_new_start_also_session_rescheduled(
    heard, django_capture_on_commit_callbacks
):
    organiser = PersonFactory()
    session = ScheduledSessionFactory()
    old_start, new_start = session.start, _future(41)

    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(session=session, by=organiser, title="Renamed")
    assert heard.sent == [("session_changed", {"session_id": session.pk, "by": organiser})]
    assert heard.changing == [(session.pk, signals.EDITED, True)]

    heard.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(session=session, by=organiser, start=new_start)
    assert heard.sent == [
        ("session_changed", {"session_id": session.pk, "by": organiser}),
        (
            "session_rescheduled",
            {
                "session_id": session.pk,
                "by": organiser,
                "old_start": old_start,
                "new_start": new_start,
            },
        ),
    ]


def test_cancelling_sends_session_cancelled_with_the_state_it_left(
    heard, django_capture_on_commit_callbacks
):
    organiser = PersonFactory()
    session = ScheduledSessionFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=session, by=organiser, reason="ill")

    assert heard.sent == [
        (
            "session_cancelled",
            {"session_id": session.pk, "by": organiser, "from_state": State.SCHEDULED},
        )
    ]
    assert heard.changing == [(session.pk, signals.CANCELLED, True)]


def test_marking_held_sends_session_held(heard, django_capture_on_commit_callbacks):
    organiser = PersonFactory()
    now = timezone.now()
    session = ScheduledSessionFactory(start=now - timedelta(minutes=50), end=now)

    with django_capture_on_commit_callbacks(execute=True):
        services.session_mark_held(session=session, by=organiser)

    assert heard.sent == [
        ("session_held", {"session_id": session.pk, "by": organiser, "automatic": False})
    ]
    assert heard.changing == [(session.pk, signals.HELD, True)]


def test_proposing_a_draft_names_the_proposer_and_declining_it_cancels(
    heard, django_capture_on_commit_callbacks
):
    host, proposer = PersonFactory(), PersonFactory()

    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_propose(by=host, title="Graphs", proposed_by=proposer)
    assert heard.sent == [("session_proposed", {"session_id": session.pk, "by": proposer})]

    heard.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        draft_answer(session=session, person=host, accept=False)
    assert heard.sent == [
        (
            "session_cancelled",
            {"session_id": session.pk, "by": host, "from_state": State.PROPOSED},
        )
    ]


def test_an_answer_sends_rsvp_changed_and_says_when_it_waits_for_a_seat(
    heard, django_capture_on_commit_callbacks
):
    session = ScheduledSessionFactory(capacity=1)
    first, second = PersonFactory(), PersonFactory()

    with django_capture_on_commit_callbacks(execute=True):
        invitations.rsvp_set(session=session, person=first, response=Invitation.Response.YES)
        invitations.rsvp_set(session=session, person=second, response=Invitation.Response.YES)

    assert heard.sent == [
        (
            "rsvp_changed",
            {
                "session_id": session.pk,
                "person_id": first.pk,
                "response": "yes",
                "waitlisted": False,
            },
        ),
        (
            "rsvp_changed",
            {
                "session_id": session.pk,
                "person_id": second.pk,
                "response": "yes",
                "waitlisted": True,
            },
        ),
    ]


def test_a_refused_answer_sends_nothing(heard, django_capture_on_commit_callbacks):
    session = SessionFactory()  # proposed: takes no answers

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        invitations.rsvp_set(session=session, person=PersonFactory(), response="yes")

    assert heard.sent == []


def test_attendance_added_says_whether_the_session_was_held_already(
    heard, django_capture_on_commit_callbacks
):
    host, ann, bob = PersonFactory(), PersonFactory(), PersonFactory()
    now = timezone.now()
    session = ScheduledSessionFactory(start=now - timedelta(minutes=50), end=now, host=host)
    method = Attendance.Method.HOST_LIST

    with django_capture_on_commit_callbacks(execute=True):
        attendance_add(session=session, person=ann, by=host, method=method)
        attendance_add(session=session, person=ann, by=host, method=method)  # already there
        services.session_mark_held(session=session, by=host)
        attendance_add(session=session, person=bob, by=host, method=method)

    expected = {"session_id": session.pk, "by": host}
    assert heard.sent == [
        ("attendance_added", {**expected, "person_id": ann.pk, "after_held": False}),
        ("session_held", {"session_id": session.pk, "by": host, "automatic": False}),
        ("attendance_added", {**expected, "person_id": bob.pk, "after_held": True}),
    ]


def test_a_failing_receiver_neither_stops_the_others_nor_fails_the_change(
    heard, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver broke")

    after = []

    def later(sender, session_id, **kwargs):
        after.append(session_id)

    signals.session_cancelled.connect(broken, weak=False, dispatch_uid="test-broken")
    signals.session_cancelled.connect(later, weak=False, dispatch_uid="test-later")
    try:
        session = ScheduledSessionFactory()
        with django_capture_on_commit_callbacks(execute=True):
            services.session_cancel(session=session, by=PersonFactory())
    finally:
        signals.session_cancelled.disconnect(dispatch_uid="test-broken")
        signals.session_cancelled.disconnect(dispatch_uid="test-later")

    assert after == [session.pk]  # connected after the broken one, and still called
    assert heard.names() == ["session_cancelled"]
    assert Session.objects.get(pk=session.pk).state == State.CANCELLED
    assert [r.getMessage() for r in caplog.records if r.name == "django.dispatch"] == [
        f"Error calling {broken.__qualname__} in Signal.send_robust() (receiver broke)"
    ]


def test_a_failing_session_changing_receiver_rolls_the_change_back(
    heard, django_capture_on_commit_callbacks
):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver broke")

    signals.session_changing.connect(broken, weak=False, dispatch_uid="test-broken")
    session = SessionFactory()
    try:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            services.session_schedule(session=session, start=_future(30), by=PersonFactory())
    finally:
        signals.session_changing.disconnect(dispatch_uid="test-broken")

    assert Session.objects.get(pk=session.pk).state == State.PROPOSED
    assert heard.sent == []


def _listeners(signal) -> set[str]:
    sync, async_ = signal._live_receivers(Session)
    return {f"{r.__module__}.{r.__qualname__}" for r in [*sync, *async_]}


def test_who_listens():
    """docs/architecture.md, "Domain signals", lists the same receivers."""
    assert _listeners(signals.session_changing) == {
        "kshare.scheduling.reminders.receivers.plan_with_the_session"
    }
    assert _listeners(signals.session_scheduled) == {
        "kshare.topics.receivers.notify_requesters",
        "kshare.webhooks.receivers.session_scheduled",
        "kshare.chat.receivers.session_scheduled",
    }
    assert _listeners(signals.session_rescheduled) == {
        "kshare.topics.receivers.notify_requesters",
        "kshare.webhooks.receivers.session_rescheduled",
        "kshare.chat.receivers.session_rescheduled",
    }
    assert _listeners(signals.session_cancelled) == {
        "kshare.webhooks.receivers.session_cancelled",
        "kshare.chat.receivers.session_cancelled",
    }
    assert _listeners(signals.session_held) == {
        "kshare.feedback.receivers.dispatch_when_held",
        "kshare.webhooks.receivers.session_held",
    }
    assert _listeners(signals.attendance_added) == {
        "kshare.feedback.receivers.dispatch_to_late_attendee"
    }
    for signal in (signals.session_proposed, signals.session_changed, signals.rsvp_changed):
        assert _listeners(signal) == set()
