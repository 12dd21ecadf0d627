"""Planning reminders: offsets from the programme, reschedule, cancel, late scheduling."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from kshare.core.tests.daytime import daytime_zone
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.models import Reminder, lead_text
from kshare.scheduling.reminders.services import (
    _offsets,
    reminders_plan,
    reminders_plan_programme,
    reminders_sync,
)
from kshare.scheduling.rhythm.models import ClosureDay
from kshare.sessions.services import session_cancel, session_schedule, session_update
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


@pytest.fixture(autouse=True)
def _no_closure_days():
    """These tests time reminders from "now"; without this they would change around Christmas
    (the default closure days). Days off are tested in test_days_off.py."""
    ClosureDay.objects.all().delete()


DAY = 24 * 60


def rows(session):
    return list(
        Reminder.objects.filter(session=session)
        .order_by("kind", "-offset_minutes")
        .values_list("kind", "offset_minutes", "due_at", "sent_at")
    )


def schedule(session, start, **kwargs):
    host = session.host_links.get().person
    return session_schedule(session=session, start=start, by=host, **kwargs).session


def in_days(days: float) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


# --- offsets ------------------------------------------------------------------------------


def test_default_programme_offsets_are_7_and_1_days_24_and_1_hours_and_a_5_day_nudge():
    programme = ProgrammeFactory()

    assert _offsets(programme) == [
        ("host_prep", 1 * DAY),
        ("host_prep", 7 * DAY),
        ("invitee", 60),
        ("invitee", 24 * 60),
        ("nudge", 5 * DAY),
    ]


def test_bad_stored_offsets_count_as_the_defaults():
    programme = ProgrammeFactory(
        host_reminder_days="7, x", invitee_reminder_hours="3,3", nudge_days=0
    )

    assert _offsets(programme) == [
        ("host_prep", 1 * DAY),
        ("host_prep", 7 * DAY),
        ("invitee", 60),
        ("invitee", 24 * 60),
    ]


def test_empty_settings_plan_no_reminders():
    programme = ProgrammeFactory(host_reminder_days="", invitee_reminder_hours="", nudge_days=0)
    session = SessionFactory(programme=programme)

    schedule(session, in_days(20))

    assert rows(session) == []


@pytest.mark.parametrize(
    ("minutes", "hours", "text"),
    [
        (60, False, "1 hour"),
        (120, False, "2 hours"),
        (DAY, False, "1 day"),
        (DAY, True, "24 hours"),
        (7 * DAY, False, "7 days"),
        (90, True, "90 minutes"),
    ],
)
def test_lead_text(minutes, hours, text):
    assert lead_text(minutes, hours=hours) == text


# --- scheduling ---------------------------------------------------------------------------


def test_scheduling_plans_one_pending_reminder_per_offset_due_before_the_start():
    session = SessionFactory()
    start = in_days(20)

    schedule(session, start)

    assert rows(session) == [
        ("host_prep", 7 * DAY, start - timedelta(days=7), None),
        ("host_prep", 1 * DAY, start - timedelta(days=1), None),
        ("invitee", 24 * 60, start - timedelta(hours=24), None),
        ("invitee", 60, start - timedelta(hours=1), None),
        ("nudge", 5 * DAY, start - timedelta(days=5), None),
    ]


def test_per_programme_offsets_48_and_2_hours_3_days_and_a_2_day_nudge():
    programme = ProgrammeFactory(
        host_reminder_days="3", invitee_reminder_hours="48,2", nudge_days=2
    )
    session = SessionFactory(programme=programme)
    start = in_days(10)

    schedule(session, start)

    assert rows(session) == [
        ("host_prep", 3 * DAY, start - timedelta(days=3), None),
        ("invitee", 48 * 60, start - timedelta(hours=48), None),
        ("invitee", 120, start - timedelta(hours=2), None),
        ("nudge", 2 * DAY, start - timedelta(days=2), None),
    ]


def test_reminders_already_due_when_a_session_is_scheduled_are_not_planned(settings):
    # In a zone where 20 hours from now is morning: the session must not cross midnight.
    settings.TIME_ZONE = daytime_zone(20)
    session = SessionFactory()
    start = (timezone.now() + timedelta(hours=20)).replace(microsecond=0)

    schedule(session, start)

    # Only the 1-hour reminder is still ahead: no burst of late 7-day, 5-day, 1-day mails.
    assert rows(session) == [("invitee", 60, start - timedelta(hours=1), None)]


def test_rescheduling_moves_the_pending_reminders_and_keeps_the_sent_ones():
    session = SessionFactory()
    schedule(session, in_days(20))
    sent_at = timezone.now() - timedelta(minutes=5)
    Reminder.objects.filter(session=session, kind="host_prep", offset_minutes=7 * DAY).update(
        sent_at=sent_at, due_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    new_start = in_days(30)

    schedule(session, new_start)

    assert rows(session) == [
        ("host_prep", 7 * DAY, datetime(2026, 1, 1, tzinfo=UTC), sent_at),
        ("host_prep", 1 * DAY, new_start - timedelta(days=1), None),
        ("invitee", 24 * 60, new_start - timedelta(hours=24), None),
        ("invitee", 60, new_start - timedelta(hours=1), None),
        ("nudge", 5 * DAY, new_start - timedelta(days=5), None),
    ]


def test_moving_a_session_closer_drops_the_pending_reminders_now_in_the_past():
    session = SessionFactory()
    schedule(session, in_days(20))
    new_start = in_days(3)

    schedule(session, new_start)

    assert rows(session) == [
        ("host_prep", 1 * DAY, new_start - timedelta(days=1), None),
        ("invitee", 24 * 60, new_start - timedelta(hours=24), None),
        ("invitee", 60, new_start - timedelta(hours=1), None),
    ]


def test_a_new_start_through_the_edit_form_moves_the_reminders_too():
    session = SessionFactory()
    schedule(session, in_days(20))
    host = session.host_links.get().person
    new_start = in_days(25)

    session_update(session=session, by=host, start=new_start, end=new_start + timedelta(hours=1))

    assert Reminder.objects.get(session=session, kind="nudge").due_at == new_start - timedelta(
        days=5
    )


def test_moving_a_session_to_another_programme_plans_that_programmes_reminders():
    session = SessionFactory()
    start = in_days(20)
    schedule(session, start)
    other = ProgrammeFactory(host_reminder_days="2", invitee_reminder_hours="", nudge_days=0)

    session_update(session=session, by=session.host_links.get().person, programme=other)

    assert rows(session) == [("host_prep", 2 * DAY, start - timedelta(days=2), None)]


def test_replanning_after_the_programme_changed_adds_and_drops_pending_rows_only():
    programme = ProgrammeFactory()
    session = SessionFactory(programme=programme)
    start = in_days(20)
    schedule(session, start)
    Reminder.objects.filter(session=session, kind="invitee", offset_minutes=24 * 60).update(
        sent_at=timezone.now()
    )
    programme.host_reminder_days = "10"
    programme.invitee_reminder_hours = "2"
    programme.nudge_days = 0
    programme.save()

    assert reminders_plan_programme(programme=programme) == 1

    assert [(k, m, s is not None) for k, m, _, s in rows(session)] == [
        ("host_prep", 10 * DAY, False),
        ("invitee", 24 * 60, True),  # sent: kept
        ("invitee", 120, False),
    ]


def test_a_due_reminder_not_sent_yet_survives_a_replan_that_does_not_move_it():
    programme = ProgrammeFactory()
    session = SessionFactory(programme=programme)
    start = in_days(20)
    schedule(session, start)
    programme.nudge_days = 0
    programme.save()
    worker_late = start - timedelta(minutes=59)  # the 1-hour reminder is a minute overdue

    reminders_plan(session=session, now=worker_late)

    assert [(k, m) for k, m, _, _ in rows(session)] == [
        ("host_prep", 7 * DAY),
        ("host_prep", 1 * DAY),
        ("invitee", 24 * 60),
        ("invitee", 60),
    ]


def test_planning_twice_changes_nothing():
    session = SessionFactory()
    schedule(session, in_days(20))
    before = list(Reminder.objects.filter(session=session).values_list("pk", "due_at"))

    reminders_plan(session=session)

    assert list(Reminder.objects.filter(session=session).values_list("pk", "due_at")) == before


# --- cancelling ---------------------------------------------------------------------------


def test_cancelling_drops_the_pending_reminders_and_keeps_the_sent_ones():
    session = SessionFactory()
    schedule(session, in_days(20))
    Reminder.objects.filter(session=session, kind="host_prep", offset_minutes=7 * DAY).update(
        sent_at=timezone.now()
    )

    session_cancel(session=session, by=session.host_links.get().person, reason="Ill")

    assert [(k, m) for k, m, _, _ in rows(session)] == [("host_prep", 7 * DAY)]


# --- the safety net -----------------------------------------------------------------------


def test_the_tick_plans_upcoming_sessions_scheduled_without_the_services():
    start = in_days(20)
    bare = ScheduledSessionFactory(start=start)  # e.g. the demo's bulk_create
    too_close = ScheduledSessionFactory(
        start=timezone.now() + timedelta(minutes=30),
        programme=ProgrammeFactory(nudge_days=0),
    )
    far = ScheduledSessionFactory(start=in_days(90))  # nothing can be due before day 30

    assert reminders_sync() == 1
    assert reminders_sync() == 0

    assert len(rows(bare)) == 5
    assert rows(too_close) == []
    assert rows(far) == []


def test_the_tick_follows_a_change_of_the_programmes_settings():
    programme = ProgrammeFactory()
    session = SessionFactory(programme=programme)
    start = in_days(20)
    schedule(session, start)
    Reminder.objects.filter(session=session, kind="host_prep", offset_minutes=7 * DAY).update(
        sent_at=timezone.now()
    )
    programme.host_reminder_days = "3"
    programme.invitee_reminder_hours = "24"
    programme.save()

    assert reminders_sync() == 1
    assert reminders_sync() == 0

    assert [(k, m, s is not None) for k, m, _, s in rows(session)] == [
        ("host_prep", 7 * DAY, True),  # sent: kept
        ("host_prep", 3 * DAY, False),
        ("invitee", 24 * 60, False),
        ("nudge", 5 * DAY, False),
    ]


def test_the_tick_moves_reminders_of_a_session_moved_without_the_services():
    session = SessionFactory()
    schedule(session, in_days(20))
    new_start = in_days(21)
    type(session).objects.filter(pk=session.pk).update(
        start=new_start, end=new_start + timedelta(hours=1)
    )

    assert reminders_sync() == 1

    assert Reminder.objects.get(session=session, kind="nudge").due_at == new_start - timedelta(
        days=5
    )


def test_checking_the_sync_costs_five_queries_however_many_sessions(django_assert_num_queries):
    for _ in range(5):
        schedule(SessionFactory(), in_days(20))

    # Sessions, their reminders, host links and hosts (prefetched), the closure days.
    with django_assert_num_queries(5):
        assert reminders_sync() == 0
