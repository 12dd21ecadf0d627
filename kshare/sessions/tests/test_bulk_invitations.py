"""``invitations_create_bulk`` and ``attendance_record_bulk``: the rules of inviting, answering
and the attendance log, for many rows at once, and no mail or domain signal."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.sessions import signals
from kshare.sessions.attendance import attendance_add, attendance_record_bulk
from kshare.sessions.invitations import invitations_create, invitations_create_bulk, rsvp_set
from kshare.sessions.models import (
    Attendance,
    AttendanceChange,
    Invitation,
    SessionChange,
    SessionHost,
    Visibility,
)
from kshare.sessions.tests.factories import (
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def _invitation(session, person, response="pending", minutes=None, **fields) -> Invitation:
    at = NOW - timedelta(days=1)
    responded = at + timedelta(minutes=minutes) if minutes is not None else None
    return Invitation(
        session_id=session.pk,
        person_id=person.pk,
        created_at=at,
        response=response,
        responded_at=responded,
        **fields,
    )


def test_a_yes_beyond_capacity_joins_the_waitlist_as_rsvp_set_does():
    single = ScheduledSessionFactory(capacity=1)
    first, second = PersonFactory(), PersonFactory()
    rsvp_set(session=single, person=first, response="yes")
    rsvp_set(session=single, person=second, response="yes")
    waits = dict(
        Invitation.objects.filter(session=single).values_list("person_id", "waitlisted_at")
    )
    bulk = ScheduledSessionFactory(capacity=1)
    rows = invitations_create_bulk(
        invitations=[
            _invitation(bulk, second, "yes", minutes=5),
            _invitation(bulk, first, "yes", minutes=1),
        ]
    )
    assert (waits[first.pk] is None, waits[second.pk] is not None) == (True, True)
    assert {i.person_id: i.waitlisted_at for i in rows} == {
        first.pk: None,
        second.pk: NOW - timedelta(days=1) + timedelta(minutes=5),
    }


def test_bulk_invitations_follow_the_visibility_rule_of_invitations_create():
    team, other = TeamFactory(), TeamFactory()
    session = ScheduledSessionFactory(visibility=Visibility.TEAMS)
    session.teams.set([team])
    inside, outside = PersonFactory(team=team), PersonFactory(team=other)
    with pytest.raises(ValidationError) as single:
        invitations_create(session=session, by=session.host_links.get().person, people=[outside])
    with pytest.raises(ValidationError) as bulk:
        invitations_create_bulk(
            invitations=[_invitation(session, inside), _invitation(session, outside)]
        )
    assert (single.value.code, bulk.value.code) == ("not_visible", "not_invitable")
    assert bulk.value.messages == [
        f"Person {outside.pk} cannot see this session, so cannot be invited."
    ]
    assert Invitation.objects.count() == 0
    [row] = invitations_create_bulk(invitations=[_invitation(session, inside)])
    assert (row.person_id, row.mail_due_at) == (inside.pk, None)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: SessionFactory(start=NOW + timedelta(days=3)),
            "Schedule the session first: an invitation needs a date and time to put in calendars.",
        ),
        (
            lambda: PastSessionFactory(start=NOW - timedelta(days=3)),
            "This session is over: only upcoming sessions take invitations.",
        ),
    ],
)
def test_bulk_invitations_refuse_proposed_and_ended_sessions(make, message):
    session = make()
    invitation = _invitation(session, PersonFactory())
    invitation.created_at = NOW - timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        invitations_create_bulk(invitations=[invitation])
    assert error.value.messages == [message]


def test_bulk_invitations_leave_hosts_out_and_keep_one_per_person():
    session = ScheduledSessionFactory()
    host = session.host_links.get().person
    guest = PersonFactory()
    with pytest.raises(ValidationError) as error:
        invitations_create_bulk(invitations=[_invitation(session, host)])
    assert error.value.code == "not_invitable"
    rows = invitations_create_bulk(
        invitations=[_invitation(session, guest), _invitation(session, guest, "no", minutes=2)]
    )
    again = invitations_create_bulk(invitations=[_invitation(session, guest, "yes", minutes=3)])
    assert (len(rows), again) == (1, [])
    assert list(Invitation.objects.values_list("person_id", "response")) == [(guest.pk, "pending")]


def test_an_answer_has_its_time_and_no_answer_has_none():
    session = ScheduledSessionFactory()
    with pytest.raises(ValidationError) as error:
        invitations_create_bulk(invitations=[_invitation(session, PersonFactory(), "yes")])
    assert error.value.messages == ["An answer has its time; no answer yet has none."]


def test_bulk_attendance_writes_the_history_attendance_add_writes():
    single = PastSessionFactory()
    person = PersonFactory()
    attendance_add(session=single, person=person, by=person, method="check_in")
    bulk = PastSessionFactory()
    host = bulk.host_links.get(role=SessionHost.Role.HOST).person
    held_at = bulk.start + timedelta(hours=2)
    SessionChange.objects.create(
        session=bulk, kind="held", from_state="scheduled", to_state="held", at=held_at
    )
    walk_in, listed, late = PersonFactory(), PersonFactory(), PersonFactory()
    rows = attendance_record_bulk(
        attendances=[
            Attendance(session=bulk, person=walk_in, method="check_in", recorded_at=bulk.start),
            Attendance(session=bulk, person=walk_in, method="host_list", recorded_at=bulk.start),
            Attendance(session=bulk, person=listed, method="host_list", recorded_at=bulk.start),
            Attendance(
                session=bulk, person=late, method="host_list", recorded_at=held_at + timedelta(1)
            ),
        ]
    )
    assert len(rows) == 3
    changes = AttendanceChange.objects.filter(session=bulk).order_by("id")
    assert [(c.person_id, c.action, c.method, c.by_id, c.after_held) for c in changes] == [
        (walk_in.pk, "added", "check_in", walk_in.pk, False),
        (listed.pk, "added", "host_list", host.pk, False),
        (late.pk, "added", "host_list", host.pk, True),
    ]
    one = AttendanceChange.objects.get(session=single)
    assert (one.action, one.method, one.by_id) == ("added", "check_in", person.pk)


def test_bulk_attendance_refuses_a_session_that_has_not_started():
    session = ScheduledSessionFactory()
    with pytest.raises(ValidationError) as error:
        attendance_record_bulk(
            attendances=[Attendance(session=session, person=PersonFactory(), method="check_in")]
        )
    assert error.value.messages == ["Attendance can be recorded once the session has started."]


def test_bulk_invitations_and_attendance_send_no_domain_signal(django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs["session_id"])

    session, person = PastSessionFactory(), PersonFactory()
    signals.attendance_added.connect(listener, dispatch_uid="test-bulk-attendance")
    signals.rsvp_changed.connect(listener, dispatch_uid="test-bulk-rsvp")
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            attendance_record_bulk(
                attendances=[Attendance(session=session, person=person, method="check_in")]
            )
    finally:
        signals.attendance_added.disconnect(dispatch_uid="test-bulk-attendance")
        signals.rsvp_changed.disconnect(dispatch_uid="test-bulk-rsvp")
    assert (heard, len(callbacks)) == ([], 1)  # rows_saved only
