from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kshare.core.tests.daytime import daytime_zone
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.models import Programme
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions import services
from kshare.sessions.cohosting import cohost_answer
from kshare.sessions.invitations import rsvp_set
from kshare.sessions.models import (
    CohostInvitation,
    Format,
    Invitation,
    SessionChange,
    SessionHost,
    State,
)
from kshare.sessions.tests.factories import (
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.tags.services import tags_get_or_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """The sessions here start some days from now at this time of day, and a session may not
    cross midnight in the installation's zone: run in a zone where now is morning."""
    settings.TIME_ZONE = daytime_zone(1)


def _future(days: int) -> timezone.datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


def test_propose_creates_host_default_agenda_and_history(person):
    cohost = PersonFactory()
    session = services.session_propose(
        by=person,
        title="Intro to SQL",
        format=Format.TALK,
        tags=tags_get_or_create(names=["SQL", "data"]),
        cohosts=[cohost],
    )
    assert session.state == State.PROPOSED
    assert session.programme == Programme.objects.get(is_default=True)
    # The co-host is asked, not added: a host only once they accept.
    assert [(h.person, h.role) for h in session.host_links.all()] == [
        (person, SessionHost.Role.HOST),
    ]
    invitation = CohostInvitation.objects.get(session=session)
    assert (invitation.person, invitation.status) == (cohost, "pending")
    cohost_answer(invitation=invitation, person=cohost, accept=True)
    assert [(h.person, h.role) for h in session.host_links.all()] == [
        (person, SessionHost.Role.HOST),
        (cohost, SessionHost.Role.COHOST),
    ]
    assert [(a.title, a.minutes, a.is_discussion) for a in session.agenda.all()] == [
        ("Talk", 30, False),
        ("Discussion", 15, True),
    ]
    assert sorted(t.name for t in session.tags.all()) == ["SQL", "data"]
    assert list(session.changes.values_list("kind", "to_state")) == [("created", "proposed")]


@pytest.mark.parametrize(
    ("format", "minutes", "discussion_minutes"),
    [("lightning", 15, 5), ("talk", 45, 15), ("workshop", 90, 20), ("discussion", 60, 50)],
)
def test_every_format_reserves_discussion_time(person, format, minutes, discussion_minutes):
    start = _future(30)
    session = services.session_propose(by=person, title="T", format=format, start=start)
    agenda = list(session.agenda.all())
    assert sum(a.minutes for a in agenda) == minutes
    assert sum(a.minutes for a in agenda if a.is_discussion) == discussion_minutes
    assert session.end - session.start == timedelta(minutes=minutes)


def test_propose_with_date_stays_proposed(person):
    session = services.session_propose(by=person, title="T", start=_future(20))
    assert session.state == State.PROPOSED


def test_schedule_moves_proposed_to_scheduled_without_warning_when_lead_time_is_kept(person):
    session = SessionFactory(host=person)
    start = _future(20)
    result = services.session_schedule(session=session, start=start, by=person)
    session.refresh_from_db()
    assert (session.state, session.start, session.end) == (
        State.SCHEDULED,
        start,
        start + timedelta(minutes=45),
    )
    assert result.warnings == []
    change = session.changes.get()
    assert (change.kind, change.from_state, change.to_state, change.new_start, change.by) == (
        "scheduled",
        "proposed",
        "scheduled",
        start,
        person,
    )


def test_schedule_warns_when_lead_time_is_short(person):
    programme = ProgrammeFactory(lead_time_days=14)
    session = SessionFactory(host=person, programme=programme)
    result = services.session_schedule(
        session=session, start=_future(5) + timedelta(hours=1), by=person
    )
    assert result.warnings == [
        f"Only 5 days until the session: {programme.name} invites people at least 14 days ahead."
    ]
    session.refresh_from_db()
    assert session.state == State.SCHEDULED


def test_reschedule_keeps_history(person):
    session = ScheduledSessionFactory(host=person)
    old_start = session.start
    new_start = _future(40)
    services.session_schedule(session=session, start=new_start, by=person)
    change = session.changes.get()
    assert (change.kind, change.old_start, change.new_start) == (
        "rescheduled",
        old_start,
        new_start,
    )


def test_schedule_in_the_past_is_refused(person):
    session = SessionFactory(host=person)
    with pytest.raises(ValidationError) as exc:
        services.session_schedule(
            session=session, start=timezone.now() - timedelta(hours=1), by=person
        )
    assert exc.value.message_dict == {"start": ["Choose a start time in the future."]}


def test_cancelled_session_cannot_be_scheduled(person):
    session = SessionFactory(host=person, state=State.CANCELLED)
    with pytest.raises(ValidationError) as exc:
        services.session_schedule(session=session, start=_future(20), by=person)
    assert exc.value.messages == ["A cancelled session cannot be scheduled."]


def test_mark_held_only_after_start(person):
    upcoming = ScheduledSessionFactory(host=person)
    with pytest.raises(ValidationError) as exc:
        services.session_mark_held(session=upcoming, by=person)
    assert exc.value.messages == ["A session can be marked as held once it has started."]

    started = ScheduledSessionFactory(host=person, start=timezone.now() - timedelta(minutes=10))
    services.session_mark_held(session=started, by=person)
    started.refresh_from_db()
    assert started.state == State.HELD
    assert list(started.changes.values_list("kind", "from_state", "to_state")) == [
        ("held", "scheduled", "held")
    ]


def test_cancel_records_reason_and_is_final(person):
    session = ScheduledSessionFactory(host=person)
    services.session_cancel(session=session, by=person, reason="Host is ill")
    session.refresh_from_db()
    assert session.state == State.CANCELLED
    assert session.changes.get().note == "Host is ill"
    with pytest.raises(ValidationError):
        services.session_cancel(session=session, by=person)
    held = PastSessionFactory()
    with pytest.raises(ValidationError) as exc:
        services.session_cancel(session=held, by=person)
    assert exc.value.messages == ["A held session cannot be cancelled."]


def test_update_of_scheduled_start_is_a_reschedule(person):
    session = ScheduledSessionFactory(host=person)
    new_start = _future(30)
    result = services.session_update(session=session, by=person, start=new_start, end=None)
    session.refresh_from_db()
    assert session.start == new_start
    assert session.end == new_start + timedelta(minutes=45)
    assert result.warnings == []
    assert session.changes.get().kind == SessionChange.Kind.RESCHEDULED


def test_update_replaces_cohosts_but_keeps_the_host(person):
    first, second = PersonFactory(), PersonFactory()
    session = services.session_propose(by=person, title="T", cohosts=[first])
    cohost_answer(invitation=CohostInvitation.objects.get(person=first), person=first, accept=True)
    services.session_update(session=session, by=person, cohosts=[second], title="T2")
    # The first co-host is removed; the second is asked, not yet a host.
    assert sorted((h.person_id, h.role) for h in session.host_links.all()) == [(person.pk, "host")]
    assert list(
        CohostInvitation.objects.filter(session=session).values_list("person_id", "status")
    ) == [(second.pk, "pending")]
    assert session.changes.last().kind == SessionChange.Kind.EDITED


def test_rsvp_over_capacity_goes_to_waitlist(person):
    session = ScheduledSessionFactory(capacity=1)
    first = rsvp_set(session=session, person=person, response="yes")
    assert (first.response, first.waitlisted_at) == (Invitation.Response.YES, None)
    second = rsvp_set(session=session, person=PersonFactory(), response="yes")
    assert second.response == Invitation.Response.YES
    assert second.waitlisted_at is not None
    # Saying yes again keeps the seat; maybe is always possible.
    again = rsvp_set(session=session, person=person, response="yes")
    assert (again.response, again.waitlisted_at) == ("yes", None)
    other = rsvp_set(session=session, person=PersonFactory(), response="maybe")
    assert other.response == "maybe"


def test_rsvp_refuses_bad_answer_and_past_sessions(person):
    invitation = InvitationFactory(person=person)
    with pytest.raises(ValidationError) as exc:
        rsvp_set(session=invitation.session, person=person, response="pending")
    assert exc.value.messages == ["Answer yes, maybe or no."]
    with pytest.raises(ValidationError) as exc:
        rsvp_set(session=PastSessionFactory(), person=person, response="yes")
    assert exc.value.messages == ["Only upcoming scheduled sessions take answers."]
