"""Inviting people: visibility, idempotence, and the mails with their iCalendar parts."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.policy import default as default_policy

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kshare.calendars.ical import session_uid
from kshare.core.tests.daytime import daytime_zone
from kshare.people.tests.factories import AdminFactory, PersonFactory, TeamFactory
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions import services
from kshare.sessions.invitations import invitations_create, rsvp_set
from kshare.sessions.models import Invitation, State, Visibility
from kshare.sessions.tests.factories import (
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.visibility.rules import people_who_may_be_invited

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


# -- helpers shared by the invitation, RSVP and waitlist tests ------------------------------------


def host_of(session):
    return session.host_links.get().person


def mime(message) -> Message:
    """The message as a mail client receives it (locmem EmailMessage or raw SMTP bytes)."""
    raw = message if isinstance(message, bytes) else message.message().as_bytes()
    return email.message_from_bytes(raw, policy=default_policy)


def calendar_of(message) -> tuple[str, icalendar.Calendar]:
    """(method and charset parameters of the text/calendar part, the parsed calendar).

    The calendar is the last part of the multipart/alternative (after text and HTML), and the
    same bytes are attached as invite.ics (application/ics)."""
    parsed = mime(message)
    parts = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    [alternative] = [p for p in parsed.walk() if p.get_content_type() == "multipart/alternative"]
    assert alternative.get_payload()[-1] is part
    assert part.get_filename() is None
    [attached] = [p for p in parsed.iter_attachments() if p.get_filename() == "invite.ics"]
    assert attached.get_content_type() == "application/ics"
    assert attached.get_payload(decode=True) == part.get_payload(decode=True)
    params = (part.get_param("method"), part.get_content_charset())
    return params, icalendar.Calendar.from_ical(part.get_payload(decode=True))


def to_invitees(session) -> list:
    """The mails to invitees (hosts get their own calendar mails: test_host_loop.py)."""
    hosts = set(session.host_links.values_list("person__email", flat=True))
    return [m for m in mail.outbox if m.to[0] not in hosts]


def text_body(message) -> str:
    return mime(message).get_body(preferencelist=("plain",)).get_content()


def invite(session, people=(), *, by=None, capture, **kwargs):
    """Invite and run the on-commit mail task, as after a real request."""
    with capture(execute=True):
        return invitations_create(
            session=session, by=by or host_of(session), people=people, **kwargs
        )


# -- who may be invited ---------------------------------------------------------------------------


def test_named_person_who_cannot_see_a_team_session_is_refused_and_nothing_is_written(
    django_capture_on_commit_callbacks,
):
    sales, support = TeamFactory(name="Sales"), TeamFactory(name="Support")
    session = ScheduledSessionFactory(visibility=Visibility.TEAMS)
    session.teams.add(sales)
    insider = PersonFactory(team=sales)
    outsider = PersonFactory(team=support, display_name="Otto Outside", email="otto@example.com")
    with pytest.raises(ValidationError) as exc:
        invite(session, [insider, outsider], capture=django_capture_on_commit_callbacks)
    assert exc.value.messages == [
        "Otto Outside (otto@example.com) cannot see this session, so nobody was invited. "
        "Leave them out, or change who may see the session."
    ]
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_invite_only_session_takes_anyone_and_the_invitation_grants_visibility(
    django_capture_on_commit_callbacks,
):
    from kshare.sessions.selectors import sessions_visible_to

    session = ScheduledSessionFactory(visibility=Visibility.INVITE_ONLY)
    guest = PersonFactory()
    assert list(sessions_visible_to(person=guest)) == []
    result = invite(session, [guest], capture=django_capture_on_commit_callbacks)
    assert [i.person for i in result.invited] == [guest]
    assert list(sessions_visible_to(person=guest)) == [session]


def test_a_team_programme_limits_who_may_be_invited_even_to_invite_only_sessions():
    team, other = TeamFactory(), TeamFactory()
    programme = ProgrammeFactory(visibility=ProgrammeVisibility.TEAMS)
    programme.teams.add(team)
    session = ScheduledSessionFactory(programme=programme, visibility=Visibility.INVITE_ONLY)
    member, stranger, admin = PersonFactory(team=team), PersonFactory(team=other), AdminFactory()
    organiser = PersonFactory(team=other)
    programme.organisers.add(organiser)
    inactive = PersonFactory(team=team, is_active=False)
    may = set(people_who_may_be_invited(session=session))
    assert {member, admin, organiser, host_of(session)} <= may
    assert stranger not in may
    assert inactive not in may


def test_teams_and_everyone_expand_to_people_who_may_see_the_session(
    django_capture_on_commit_callbacks,
):
    sales, support = TeamFactory(), TeamFactory()
    session = ScheduledSessionFactory(visibility=Visibility.TEAMS)
    session.teams.add(sales)
    in_sales = [PersonFactory(team=sales) for _ in range(3)]
    in_support = [PersonFactory(team=support) for _ in range(2)]
    PersonFactory(team=sales, is_active=False)
    result = invite(session, teams=[sales, support], capture=django_capture_on_commit_callbacks)
    assert sorted(i.person_id for i in result.invited) == sorted(p.pk for p in in_sales)
    assert (result.not_visible, result.already, result.hosts) == (2, 0, 0)
    assert len(mail.outbox) == 3

    everyone = invite(session, everyone=True, capture=django_capture_on_commit_callbacks)
    # The host's and the three invitees' are left out: the host hosts, the rest are invited.
    assert everyone.invited == []
    assert (everyone.already, everyone.hosts) == (3, 1)
    assert everyone.not_visible == len(in_support)
    assert len(mail.outbox) == 3


def test_inviting_twice_is_harmless_and_mails_once(django_capture_on_commit_callbacks):
    session = ScheduledSessionFactory()
    guest = PersonFactory()
    first = invite(session, [guest], capture=django_capture_on_commit_callbacks)
    again = invite(session, [guest], capture=django_capture_on_commit_callbacks)
    assert (len(first.invited), len(again.invited), again.already) == (1, 0, 1)
    assert Invitation.objects.filter(session=session).count() == 1
    assert len(mail.outbox) == 1


def test_people_who_answered_on_their_own_are_not_invited_again(
    django_capture_on_commit_callbacks,
):
    session = ScheduledSessionFactory()
    keen = PersonFactory()
    rsvp_set(session=session, person=keen, response="yes")
    result = invite(session, [keen], capture=django_capture_on_commit_callbacks)
    assert (result.invited, result.already) == ([], 1)
    assert mail.outbox == []


def test_hosts_are_not_invited_to_their_own_session(django_capture_on_commit_callbacks):
    session = ScheduledSessionFactory()
    result = invite(session, [host_of(session)], capture=django_capture_on_commit_callbacks)
    assert (result.invited, result.hosts) == ([], 1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: SessionFactory(),
            "Schedule the session first: an invitation needs a date and time to put in calendars.",
        ),
        (
            lambda: ScheduledSessionFactory(state=State.CANCELLED),
            "This session is cancelled: it takes no invitations.",
        ),
        (
            lambda: PastSessionFactory(),
            "This session is over: only upcoming sessions take invitations.",
        ),
        (
            lambda: ScheduledSessionFactory(start=timezone.now() - timedelta(hours=2)),
            "This session is over: only upcoming sessions take invitations.",
        ),
    ],
)
def test_only_upcoming_scheduled_sessions_take_invitations(
    make, message, django_capture_on_commit_callbacks
):
    session = make()
    with pytest.raises(ValidationError) as exc:
        invite(session, [PersonFactory()], capture=django_capture_on_commit_callbacks)
    assert exc.value.messages == [message]
    assert Invitation.objects.count() == 0


def test_only_people_who_may_edit_invite(django_capture_on_commit_callbacks):
    session = ScheduledSessionFactory()
    with pytest.raises(PermissionDenied):
        invite(
            session,
            [PersonFactory()],
            by=PersonFactory(),
            capture=django_capture_on_commit_callbacks,
        )
    assert Invitation.objects.count() == 0
    organiser = PersonFactory(role="organiser")
    session.programme.organisers.add(organiser)
    result = invite(
        session, [PersonFactory()], by=organiser, capture=django_capture_on_commit_callbacks
    )
    assert len(result.invited) == 1


# -- the invitation mail --------------------------------------------------------------------------


def test_each_new_invitee_gets_one_mail_with_a_calendar_request(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://kshare.example.com"
    session = ScheduledSessionFactory(
        title="Intro to SQL",
        start=datetime(2031, 3, 4, 15, 0, tzinfo=UTC),
        location="Room 4",
    )
    host = host_of(session)
    host.display_name = "Hana Host"
    host.save()
    guest = PersonFactory(
        display_name="Gus Guest", email="gus@example.com", timezone="America/New_York"
    )
    invite(session, [guest], by=host, capture=django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["gus@example.com"]
    assert message.subject == (
        "Invitation: Intro to SQL — Tuesday 4 March 2031, 10:00\N{EN DASH}10:45 (America/New_York)"
    )
    body = text_body(message)
    assert "Hana Host invites you to “Intro to SQL”, a talk in" in body
    assert (
        "When: Tuesday 4 March 2031, 10:00\N{EN DASH}10:45 (America/New_York)\nWhere: Room 4\n"
        in body
    )
    content_type, cal = calendar_of(message)
    assert content_type == ("REQUEST", "utf-8")
    assert cal["METHOD"] == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.pk}@kshare.example.com"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTART") == session.start
    # The host is in it as the chair (never asked), the invitee is asked; nobody else is named.
    assert [(str(a), dict(a.params)) for a in event["ATTENDEE"]] == [
        (
            f"mailto:{host.email}",
            {"CN": "Hana Host", "ROLE": "CHAIR", "PARTSTAT": "ACCEPTED"},
        ),
        (
            "mailto:gus@example.com",
            {
                "CN": "Gus Guest",
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION",
                "RSVP": "TRUE",
            },
        ),
    ]
    assert (str(event["ORGANIZER"]), dict(event["ORGANIZER"].params)) == (
        f"mailto:{settings.KSHARE_CALENDAR_REPLY_ADDRESS}",
        {"CN": settings.KSHARE_ORGANISATION_NAME},
    )
    invitation = Invitation.objects.get(person=guest)
    assert invitation.mailed_at is not None
    assert invitation.invited_by == host
    links = [line for line in body.splitlines() if "/sessions/rsvp/" in line]
    assert [line.split(": ", 1)[0] for line in links] == ["Going", "Maybe", "Not going"]
    assert all(
        line.split(": ", 1)[1].startswith("https://kshare.example.com/sessions/rsvp/")
        for line in links
    )
    assert [line.rsplit("?", 1)[1] for line in links] == [
        "answer=yes",
        "answer=maybe",
        "answer=no",
    ]
    html = message.alternatives[0]
    assert html.mimetype == "text/html"
    assert "<li><a href=" in html.content


def test_invitation_mails_wait_for_the_commit(django_capture_on_commit_callbacks):
    session = ScheduledSessionFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations_create(session=session, by=host_of(session), people=[PersonFactory()])
    assert mail.outbox == []
    assert Invitation.objects.get(session=session).mailed_at is None

    for callback in callbacks:  # the commit
        callback()
    assert len(mail.outbox) == 1
    assert Invitation.objects.get(session=session).mailed_at is not None


# -- reschedule and cancel ------------------------------------------------------------------------


def _invited_session(capture, answers):
    session = ScheduledSessionFactory(title="Kafka basics")
    people = [PersonFactory(email=f"{answer}@example.com") for answer in answers]
    invite(session, people, capture=capture)
    for person, answer in zip(people, answers, strict=True):
        if answer != "pending":
            rsvp_set(session=session, person=person, response=answer)
    mail.outbox.clear()
    return session, people


def test_reschedule_sends_a_request_with_the_next_sequence_to_those_not_declined(
    django_capture_on_commit_callbacks,
):
    session, _ = _invited_session(
        django_capture_on_commit_callbacks, ["yes", "maybe", "no", "pending"]
    )
    new_start = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(session=session, start=new_start, by=host_of(session))
    session.refresh_from_db()
    assert session.sequence == 1
    assert sorted(m.to[0] for m in to_invitees(session)) == [
        "maybe@example.com",
        "pending@example.com",
        "yes@example.com",
    ]
    for message in to_invitees(session):
        assert message.subject.startswith("New time: Kafka basics — ")
        _, cal = calendar_of(message)
        assert cal["METHOD"] == "REQUEST"
        [event] = cal.walk("VEVENT")
        assert (event["SEQUENCE"], event.decoded("DTSTART")) == (1, new_start)
        assert str(event["UID"]).startswith(f"session-{session.pk}@")
    host = host_of(session)
    partstats = {}
    for m in to_invitees(session):
        chair, invitee = calendar_of(m)[1].walk("VEVENT")[0]["ATTENDEE"]
        assert (str(chair), chair.params["ROLE"]) == (f"mailto:{host.email}", "CHAIR")
        partstats[str(invitee)] = invitee.params["PARTSTAT"]
    assert partstats == {
        "mailto:yes@example.com": "ACCEPTED",
        "mailto:maybe@example.com": "TENTATIVE",
        "mailto:pending@example.com": "NEEDS-ACTION",
    }


def test_editing_the_start_is_a_reschedule_too(django_capture_on_commit_callbacks):
    session, _ = _invited_session(django_capture_on_commit_callbacks, ["yes"])
    new_start = (timezone.now() + timedelta(days=40)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(session=session, by=host_of(session), start=new_start, end=None)
    [message] = to_invitees(session)
    [event] = calendar_of(message)[1].walk("VEVENT")
    assert (event["SEQUENCE"], event.decoded("DTSTART")) == (1, new_start)


def test_cancel_sends_a_cancel_with_the_same_uid_and_the_next_sequence(
    django_capture_on_commit_callbacks,
):
    session, _ = _invited_session(django_capture_on_commit_callbacks, ["yes", "no"])
    # Someone who answered on the page without being mailed gets no calendar cancellation.
    rsvp_set(session=session, person=PersonFactory(), response="yes")
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=session, by=host_of(session), reason="Host is ill")
    assert sorted(m.to[0] for m in mail.outbox) == ["no@example.com", "yes@example.com"]
    for message in mail.outbox:
        assert message.subject.startswith("Cancelled: Kafka basics — ")
        assert "The reason given: Host is ill" in text_body(message)
        content_type, cal = calendar_of(message)
        assert content_type == ("CANCEL", "utf-8")
        assert cal["METHOD"] == "CANCEL"
        [event] = cal.walk("VEVENT")
        assert (str(event["UID"]), event["SEQUENCE"], event["STATUS"]) == (
            session_uid(session),
            1,
            "CANCELLED",
        )


def test_two_changes_before_the_mail_goes_send_the_latest_state_once(
    django_capture_on_commit_callbacks,
):
    session, _ = _invited_session(django_capture_on_commit_callbacks, ["yes"])
    first = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    second = first + timedelta(days=1)
    with django_capture_on_commit_callbacks() as tasks:  # not run yet: the worker is busy
        services.session_schedule(session=session, start=first, by=host_of(session))
    with django_capture_on_commit_callbacks() as more:
        services.session_schedule(session=session, start=second, by=host_of(session))
    for task in [*tasks, *more]:
        task()
    [message] = to_invitees(session)
    [event] = calendar_of(message)[1].walk("VEVENT")
    assert (event["SEQUENCE"], event.decoded("DTSTART")) == (2, second)


def test_a_failed_change_mails_nobody(django_capture_on_commit_callbacks):
    session, _ = _invited_session(django_capture_on_commit_callbacks, ["yes"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.session_schedule(
            session=session, start=timezone.now() - timedelta(days=1), by=host_of(session)
        )
    session.refresh_from_db()
    assert (session.sequence, mail.outbox) == (0, [])
