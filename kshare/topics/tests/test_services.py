from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from kshare.core.tests.daytime import days_ahead_at
from kshare.people.tests.factories import OrganiserFactory, PersonFactory, TeamFactory
from kshare.sessions import services as session_services
from kshare.sessions.models import SessionHost, State, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.topics.models import TopicNotification, TopicRequest, TopicVolunteer, TopicVote
from kshare.topics.services import (
    topic_request_create,
    topic_request_propose,
    topic_requests_notify_scheduled,
    topic_volunteer_set,
    topic_vote_set,
)
from kshare.topics.tests.factories import (
    TopicRequestFactory,
    TopicVolunteerFactory,
    TopicVoteFactory,
)

pytestmark = pytest.mark.django_db


def test_creating_a_request_counts_the_requesters_own_plus_one():
    requester = PersonFactory()
    dbt = TagFactory(name="dbt")
    request = topic_request_create(
        requester=requester, title="dbt for analysts", description="Models.", tags=[dbt]
    )
    assert (request.title, request.status, list(request.tags.all())) == (
        "dbt for analysts",
        TopicRequest.Status.OPEN,
        [dbt],
    )
    assert list(request.votes.values_list("person", flat=True)) == [requester.pk]


def test_plus_one_is_idempotent_and_can_be_withdrawn():
    request, person = TopicRequestFactory(), PersonFactory()
    assert topic_vote_set(request=request, person=person, on=True) is True
    assert topic_vote_set(request=request, person=person, on=True) is False
    assert TopicVote.objects.filter(request=request, person=person).count() == 1
    assert topic_vote_set(request=request, person=person, on=False) is True
    assert topic_vote_set(request=request, person=person, on=False) is False
    assert TopicVote.objects.filter(request=request).count() == 0


def test_closed_request_takes_no_plus_one_or_volunteer():
    request = TopicRequestFactory(status=TopicRequest.Status.CLOSED)
    person = PersonFactory()
    with pytest.raises(ValidationError) as vote_error:
        topic_vote_set(request=request, person=person, on=True)
    with pytest.raises(ValidationError):
        topic_volunteer_set(request=request, person=person, on=True)
    assert vote_error.value.messages == [
        "This request is closed: it takes no more +1s or volunteers."
    ]
    assert (TopicVote.objects.count(), TopicVolunteer.objects.count()) == (0, 0)


def test_volunteering_twice_updates_the_note_and_withdrawing_removes_it():
    request, person = TopicRequestFactory(), PersonFactory()
    topic_volunteer_set(request=request, person=person, on=True, note="I use it daily")
    topic_volunteer_set(request=request, person=person, on=True, note="Ran a workshop")
    assert list(request.volunteers.values_list("person", "note")) == [(person.pk, "Ran a workshop")]
    topic_volunteer_set(request=request, person=person, on=False)
    assert request.volunteers.count() == 0


def test_volunteer_proposes_the_request_as_a_session_in_one_step():
    dbt, sql = TagFactory(name="dbt"), TagFactory(name="sql")
    request = topic_request_create(
        requester=PersonFactory(),
        title="dbt for analysts",
        description="From **SQL** to models.",
        tags=[dbt, sql],
    )
    volunteer = PersonFactory()
    topic_volunteer_set(request=request, person=volunteer, on=True)

    session = topic_request_propose(request=request, by=volunteer)

    request.refresh_from_db()
    assert (session.title, session.abstract, session.state) == (
        "dbt for analysts",
        "From **SQL** to models.",
        State.PROPOSED,
    )
    assert set(session.tags.all()) == {dbt, sql}
    assert list(session.host_links.values_list("person", "role")) == [
        (volunteer.pk, SessionHost.Role.HOST)
    ]
    assert (request.session, request.status) == (session, TopicRequest.Status.OPEN)
    assert list(session.topic_requests.all()) == [request]


def test_only_volunteers_organisers_and_admins_may_propose_a_request():
    request = TopicRequestFactory()
    with pytest.raises(PermissionDenied):
        topic_request_propose(request=request, by=PersonFactory())
    session = topic_request_propose(request=request, by=OrganiserFactory())
    assert request.session == session


def test_a_request_is_proposed_only_once():
    request = TopicRequestFactory()
    first, second = TopicVolunteerFactory(request=request), TopicVolunteerFactory(request=request)
    topic_request_propose(request=request, by=first.person)
    with pytest.raises(ValidationError) as error:
        topic_request_propose(request=TopicRequest.objects.get(pk=request.pk), by=second.person)
    assert error.value.messages == ["A session was already proposed for this request."]


# -- notifications when a session is scheduled ----------------------------------------------------


def _scheduled_on(*tags, **kwargs):
    session = ScheduledSessionFactory(**kwargs)
    session.tags.set(tags)
    return session


def test_requesters_and_plus_ones_of_matching_requests_are_mailed_once():
    dbt, k8s = TagFactory(name="dbt"), TagFactory(name="kubernetes")
    session = _scheduled_on(dbt, title="dbt in practice")
    linked = TopicRequestFactory(title="dbt please", session=session)
    TopicVoteFactory(request=linked, person=linked.requester)
    voter = TopicVoteFactory(request=linked).person
    overlapping = TopicRequestFactory(title="Modelling with dbt", tags=[dbt])
    TopicVoteFactory(request=overlapping, person=voter)  # two requests, still one mail
    unrelated = TopicRequestFactory(title="Kubernetes basics", tags=[k8s])
    TopicVoteFactory(request=unrelated)

    sent = topic_requests_notify_scheduled(session=session)

    recipients = sorted(m.to[0] for m in mail.outbox)
    assert sent == 3  # the linked request's requester and voter, the overlapping requester
    assert recipients == sorted([linked.requester.email, voter.email, overlapping.requester.email])
    message = next(m for m in mail.outbox if m.to == [voter.email])
    assert message.subject == "Scheduled: “dbt in practice”, for the topic you asked about"
    assert f"/sessions/{session.pk}/" in message.body
    assert "“dbt please”" in message.body
    linked.refresh_from_db(), overlapping.refresh_from_db(), unrelated.refresh_from_db()
    assert (linked.status, overlapping.status, unrelated.status) == (
        TopicRequest.Status.SCHEDULED,
        TopicRequest.Status.OPEN,
        TopicRequest.Status.OPEN,
    )

    # Running again (a retry, a reschedule) mails nobody twice.
    assert topic_requests_notify_scheduled(session=session) == 0
    assert len(mail.outbox) == 3
    assert TopicNotification.objects.filter(session=session).count() == 3


def test_only_people_who_can_see_the_session_are_told_and_never_its_hosts():
    dbt = TagFactory(name="dbt")
    team = TeamFactory()
    session = _scheduled_on(dbt, visibility=Visibility.TEAMS, host=False)
    session.teams.set([team])
    host = PersonFactory(team=team)
    SessionHost.objects.create(session=session, person=host)
    request = TopicRequestFactory(tags=[dbt], requester=PersonFactory(team=team))
    outsider = TopicVoteFactory(request=request, person=PersonFactory()).person
    TopicVoteFactory(request=request, person=host)
    inactive = TopicVoteFactory(request=request, person=PersonFactory(is_active=False)).person

    assert topic_requests_notify_scheduled(session=session) == 1

    assert [m.to for m in mail.outbox] == [[request.requester.email]]
    assert outsider.email not in mail.outbox[0].to
    assert inactive.email not in mail.outbox[0].to


def test_unscheduled_sessions_notify_nobody():
    dbt = TagFactory(name="dbt")
    session = SessionFactory(state=State.PROPOSED)
    session.tags.set([dbt])
    TopicRequestFactory(tags=[dbt], session=session)
    assert topic_requests_notify_scheduled(session=session) == 0
    assert mail.outbox == []


def test_scheduling_a_session_mails_the_requesters_after_commit(
    django_capture_on_commit_callbacks,
):
    dbt = TagFactory(name="dbt")
    host = PersonFactory()
    session = session_services.session_propose(by=host, title="dbt live", tags=[dbt])
    request = topic_request_create(requester=PersonFactory(), title="dbt", tags=[dbt])
    start = days_ahead_at(20)

    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_schedule(session=session, start=start, by=host)
    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_schedule(session=session, start=start + timedelta(days=1), by=host)

    # The requester once; the host gets their own confirmation and new time (host_mail.py).
    assert [m.to for m in mail.outbox if m.to != [host.email]] == [[request.requester.email]]
