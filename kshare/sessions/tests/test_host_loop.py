"""The host's own loop: their calendar mails, never "Will you come?", drafts proposed on their
behalf. (The summary after the session: kshare/feedback/tests/test_host_summary.py.)"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kshare.core.tests.daytime import daytime_zone
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.sessions import services
from kshare.sessions.cohosting import cohost_answer, cohosts_name
from kshare.sessions.drafts import draft_answer
from kshare.sessions.host_mail import hosts_mail_due, hosts_sweep
from kshare.sessions.invitation_mail import SWEEP_AFTER
from kshare.sessions.invitations import invitations_create, rsvp_set
from kshare.sessions.models import (
    CohostInvitation,
    Invitation,
    SessionChange,
    SessionHost,
    State,
)
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory
from kshare.sessions.tests.test_invitations import mime, text_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


def _calendar(message) -> tuple[str, icalendar.Calendar]:
    part = next(p for p in mime(message).walk() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True))


def _attendees(cal: icalendar.Calendar) -> list[tuple[str, str, str, str]]:
    """(address, PARTSTAT, ROLE, RSVP) of every ATTENDEE."""
    event = next(iter(cal.walk("VEVENT")))
    values = event.get("ATTENDEE")
    values = values if isinstance(values, list) else [values]
    return sorted(
        (
            str(v).lower().removeprefix("mailto:"),
            v.params.get("PARTSTAT", ""),
            v.params.get("ROLE", ""),
            v.params.get("RSVP", ""),
        )
        for v in values
    )


def _to(kind_prefix: str = "") -> list[tuple[str, str]]:
    return [(m.to[0], m.subject) for m in mail.outbox if m.subject.startswith(kind_prefix)]


def _with_cohost(session, email="co@example.com"):
    cohost = PersonFactory(email=email, display_name="Cora Cohost")
    SessionHost.objects.create(session=session, person=cohost, role=SessionHost.Role.COHOST)
    return cohost


def _start(days: int = 10):
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0, second=0)


# -- 1. the host's calendar mails ---------------------------------------------------------------


def test_scheduling_mails_host_and_cohost_a_confirmation_with_a_calendar_request(
    django_capture_on_commit_callbacks,
):
    host = PersonFactory(email="host@example.com", display_name="Hanna Host")
    session = SessionFactory(title="Kafka basics", host=host)
    _with_cohost(session)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(session=session, start=_start(), by=host)
    assert sorted(m.to[0] for m in mail.outbox) == ["co@example.com", "host@example.com"]
    for message in mail.outbox:
        assert message.subject.startswith("Scheduled: your session “Kafka basics” — ")
        method, cal = _calendar(message)
        assert method == "REQUEST"
        event = next(iter(cal.walk("VEVENT")))
        assert int(event["SEQUENCE"]) == 0
        # Host and co-host as chairs, already accepted, nobody asked to answer.
        assert _attendees(cal) == [
            ("co@example.com", "ACCEPTED", "CHAIR", ""),
            ("host@example.com", "ACCEPTED", "CHAIR", ""),
        ]
        assert "nobody asks you whether you will come" in text_body(message)
    assert "You are its co-host." in text_body(
        next(m for m in mail.outbox if m.to == ["co@example.com"])
    )
    assert set(SessionHost.objects.values_list("mail_due_at", "mailed_sequence")) == {(None, 0)}


def test_rescheduling_mails_hosts_the_new_time_with_the_next_sequence_once(
    django_capture_on_commit_callbacks,
):
    host = PersonFactory(email="host@example.com")
    session = SessionFactory(host=host)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(session=session, start=_start(), by=host)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(session=session, start=_start(12), by=host)
    assert [m.to[0] for m in mail.outbox] == ["host@example.com"]
    assert mail.outbox[0].subject.startswith("New time for your session")
    method, cal = _calendar(mail.outbox[0])
    assert (method, int(next(iter(cal.walk("VEVENT")))["SEQUENCE"])) == ("REQUEST", 1)
    # Running the task again (a retried batch) sends nothing more.
    assert hosts_mail_due(session_id=session.pk) == 0
    assert len(mail.outbox) == 1


def test_a_new_start_in_the_edit_form_is_a_reschedule_for_the_hosts_too(
    django_capture_on_commit_callbacks,
):
    host = PersonFactory(email="host@example.com")
    session = SessionFactory(host=host)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(session=session, start=_start(), by=host)
    mail.outbox.clear()
    session.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(
            session=session, by=host, start=_start(11), end=_start(11) + timedelta(minutes=45)
        )
    assert _to("New time for your session") == [("host@example.com", mail.outbox[0].subject)]


def test_cancelling_sends_a_cancel_to_hosts_who_had_it_in_their_calendar(
    django_capture_on_commit_callbacks,
):
    host = PersonFactory(email="host@example.com")
    session = SessionFactory(host=host, title="Kafka basics")
    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(session=session, start=_start(), by=host)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=session, by=host, reason="Room flooded")
    assert [m.to[0] for m in mail.outbox] == ["host@example.com"]
    method, _cal = _calendar(mail.outbox[0])
    assert method == "CANCEL"
    assert "The reason given: Room flooded" in text_body(mail.outbox[0])


def test_the_marker_is_written_with_the_schedule_and_the_sweep_sends_what_a_lost_task_did_not(
    django_capture_on_commit_callbacks,
):
    host = PersonFactory(email="host@example.com")
    session = SessionFactory(host=host)
    before = timezone.now()
    with django_capture_on_commit_callbacks():  # the worker dies: the task never runs
        services.session_schedule(session=session, start=_start(), by=host)
    link = SessionHost.objects.get(session=session)
    assert link.mail_due_at is not None and link.mail_due_at >= before
    assert mail.outbox == []
    now = timezone.now()
    assert hosts_sweep(now=now).sent == 0  # the task still has its minute
    assert hosts_sweep(now=now + SWEEP_AFTER + timedelta(seconds=1)).sent == 1
    assert hosts_sweep(now=now + 2 * SWEEP_AFTER).sent == 0
    assert [m.to[0] for m in mail.outbox] == ["host@example.com"]


def test_a_cohost_who_accepts_after_scheduling_gets_the_confirmation_then(
    django_capture_on_commit_callbacks,
):
    host = PersonFactory(email="host@example.com")
    session = ScheduledSessionFactory(host=host)
    cohost = PersonFactory(email="co@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        cohosts_name(session=session, people=[cohost], by=host)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cohost_answer(
            invitation=CohostInvitation.objects.get(person=cohost), person=cohost, accept=True
        )
    assert [(m.to[0], m.subject.split(":")[0]) for m in mail.outbox] == [
        ("co@example.com", "Scheduled")
    ]


# -- 2. hosts are never asked "Will you come?" ---------------------------------------------------


def test_a_host_and_cohost_invited_with_their_team_get_no_invitation_and_no_rsvp_prompt(
    client, django_capture_on_commit_callbacks
):
    team = TeamFactory()
    host = PersonFactory(team=team, email="host@example.com")
    member = PersonFactory(team=team, email="member@example.com")
    session = ScheduledSessionFactory(host=host)
    cohost = PersonFactory(team=team, email="co@example.com")
    SessionHost.objects.create(session=session, person=cohost, role=SessionHost.Role.COHOST)
    with django_capture_on_commit_callbacks(execute=True):
        result = invitations_create(session=session, by=host, teams=[team])
    assert (result.hosts, [i.person for i in result.invited]) == (2, [member])
    assert [m.to[0] for m in mail.outbox] == ["member@example.com"]
    client.force_login(cohost)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Will you come?" not in page
    assert "You host this session as co-host." in page
    assert 'name="response"' not in page
    client.force_login(member)
    assert "Will you come?" in client.get(f"/sessions/{session.pk}/").content.decode()


def test_a_host_cannot_answer_their_own_session(client):
    host = PersonFactory()
    session = ScheduledSessionFactory(host=host)
    with pytest.raises(ValidationError) as caught:
        rsvp_set(session=session, person=host, response="yes")
    assert caught.value.messages == ["You host this session, so there is nothing to answer."]
    client.force_login(host)
    response = client.post(f"/sessions/{session.pk}/rsvp/", {"response": "no"}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "You host this session, so there is nothing to answer."
    ]
    assert Invitation.objects.filter(session=session).count() == 0


def test_someone_invited_before_becoming_cohost_is_not_mailed_the_invitation(
    django_capture_on_commit_callbacks,
):
    host = PersonFactory()
    session = ScheduledSessionFactory(host=host)
    later_cohost = PersonFactory(email="co@example.com")
    with django_capture_on_commit_callbacks():  # the invitation mail is still owed
        invitations_create(session=session, by=host, people=[later_cohost])
    SessionHost.objects.create(session=session, person=later_cohost, role=SessionHost.Role.COHOST)
    from kshare.sessions.invitation_mail import invitations_mail_due

    assert invitations_mail_due(session_id=session.pk) == 0
    assert mail.outbox == []


# -- 3. drafts proposed on someone's behalf -----------------------------------------------------


def _draft(proposer=None, host=None):
    proposer = proposer or PersonFactory(email="org@example.com", display_name="Olga Organiser")
    host = host or PersonFactory(email="pat@example.com", display_name="Pat Prospect")
    session = services.session_propose(by=host, title="Graph databases", proposed_by=proposer)
    return session, proposer, host


def test_a_draft_for_someone_else_records_the_proposer_and_mails_the_host():
    session, proposer, host = _draft()
    assert (session.proposed_by, session.created_by, session.host_accepted_at) == (
        proposer,
        proposer,
        None,
    )
    assert list(session.host_links.values_list("person", "role")) == [(host.pk, "host")]
    created = SessionChange.objects.get(session=session)
    assert (created.by, created.note) == (proposer, "on behalf of Pat Prospect")
    assert [(m.to[0], m.subject) for m in mail.outbox] == [
        ("pat@example.com", "Olga Organiser proposes that you host “Graph databases”")
    ]
    assert f"/sessions/{session.pk}/hosting/" in text_body(mail.outbox[0])


def test_proposing_for_oneself_records_no_proposer_and_mails_nobody():
    host = PersonFactory()
    session = services.session_propose(by=host, title="Mine", proposed_by=host)
    assert (session.proposed_by, len(mail.outbox)) == (None, 0)


def test_accepting_confirms_the_host_and_tells_the_proposer(client):
    session, _proposer, host = _draft()
    mail.outbox.clear()
    client.force_login(host)
    page = client.get(f"/sessions/{session.pk}/hosting/")
    assert page.status_code == 200
    assert "Olga Organiser proposed this session" in page.content.decode()
    response = client.post(f"/sessions/{session.pk}/hosting/", {"answer": "accept"})
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    session.refresh_from_db()
    assert session.host_accepted_at is not None and session.state == State.PROPOSED
    assert _to() == [("org@example.com", "Pat Prospect will host “Graph databases”")]
    detail = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Proposed by Olga Organiser on behalf of the host · the host accepted" in detail
    with pytest.raises(ValidationError):
        draft_answer(session=session, person=host, accept=False)


def test_declining_withdraws_the_draft_and_tells_the_proposer(client):
    session, _proposer, host = _draft()
    mail.outbox.clear()
    client.force_login(host)
    response = client.post(f"/sessions/{session.pk}/hosting/", {"answer": "decline"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "You declined: the draft is withdrawn and its proposer is told."
    ]
    session.refresh_from_db()
    assert session.state == State.CANCELLED
    change = session.changes.last()
    assert (change.kind, change.by, change.note) == ("cancelled", host, "declined to host it")
    assert _to() == [("org@example.com", "Pat Prospect declined to host “Graph databases”")]


def test_only_the_host_answers_a_draft(client):
    session, proposer, host = _draft()
    with pytest.raises(PermissionDenied):
        draft_answer(session=session, person=proposer, accept=True)
    client.force_login(proposer)
    assert client.get(f"/sessions/{session.pk}/hosting/").status_code == 404
    assert client.post(f"/sessions/{session.pk}/hosting/", {"answer": "accept"}).status_code == 404
    client.force_login(host)
    bad = client.post(f"/sessions/{session.pk}/hosting/", {"answer": "maybe"}, follow=True)
    assert [str(m) for m in bad.context["messages"]] == ["Choose accept or decline."]
    session.refresh_from_db()
    assert (session.state, session.host_accepted_at) == (State.PROPOSED, None)


def test_the_session_page_shows_the_proposer_and_lets_the_host_answer_without_javascript(client):
    session, proposer, host = _draft()
    client.force_login(host)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    shown = "Proposed by Olga Organiser on behalf of the host · waiting for the host to accept"
    assert shown in page
    assert f'action="/sessions/{session.pk}/hosting/"' in page
    assert 'value="accept"' in page and 'value="decline"' in page
    client.force_login(proposer)
    assert (
        f'action="/sessions/{session.pk}/hosting/"'
        not in client.get(f"/sessions/{session.pk}/").content.decode()
    )


def test_a_draft_from_the_prospective_host_pipeline_is_proposed_on_their_behalf():
    from kshare.feedback.hosts import prospect_session_propose
    from kshare.feedback.tests.test_hosts import make_prospect
    from kshare.programmes.tests.factories import ProgrammeFactory

    organiser = PersonFactory(email="org@example.com", display_name="Olga Organiser")
    prospect = make_prospect(
        programme=ProgrammeFactory(), person=PersonFactory(email="pat@example.com")
    )
    session = prospect_session_propose(prospect=prospect, by=organiser)
    assert (session.proposed_by, session.host_links.get().person) == (organiser, prospect.person)
    assert Counter(m.to[0] for m in mail.outbox) == Counter({"pat@example.com": 1})


def test_a_cohost_gets_the_preparation_reminder_and_no_nudge_or_invitee_reminder():
    """Reminders to RSVP never reach a host, even one invited before becoming co-host."""
    from kshare.scheduling.reminders.services import reminders_send_due
    from kshare.scheduling.reminders.tests.test_send import DAY, at, only, upcoming

    programme = only("host_prep", host_reminder_days="7", invitee_reminder_hours="24", nudge_days=3)
    session = upcoming(programme=programme)
    host = session.host_links.get().person
    answers = {"cora": "pending", "carl": "yes", "ivy": "pending", "yves": "yes"}
    people = {name: PersonFactory(email=f"{name}@example.com") for name in answers}
    for name, answer in answers.items():
        Invitation.objects.create(session=session, person=people[name], response=answer)
    cohosts = [people["cora"], people["carl"]]  # invited first, co-hosts since
    cohosts_name(session=session, people=cohosts, by=host)
    for cohost in cohosts:
        cohost_answer(
            invitation=CohostInvitation.objects.get(person=cohost), person=cohost, accept=True
        )

    def sent(prefix: str) -> list[str]:
        return sorted(m.to[0] for m in mail.outbox if m.subject.startswith(prefix))

    # Each reminder at its due time (a day off moves one to the working day before, where it
    # may meet another: each kind is told by its subject).
    for kind, minutes in (("host_prep", 7 * DAY), ("nudge", 3 * DAY), ("invitee", 24 * 60)):
        reminders_send_due(now=at(session, kind, minutes))
    assert sent("Your session “Pandas tricks” is in 7 days") == [
        "carl@example.com",
        "cora@example.com",
        "hal@example.com",
    ]
    assert sent("Will you come to") == ["ivy@example.com"]
    assert sent("Reminder: “Pandas tricks”") == ["yves@example.com"]
