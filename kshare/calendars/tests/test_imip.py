"""Accept / Maybe / Decline pressed in Outlook, Google or Apple Calendar becomes the RSVP.

Each test invites people the way the web does (the invitation mail is built by the real task),
takes the calendar out of the mail kshare sent, builds the reply as that client builds it, and
hands the raw message to ``mail_in_message`` — the code behind ``kshare mail-in``. The real IMAP
mailbox (dovecot) and the command itself: test_mail_in_dovecot.py.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from kshare.calendars.imip import replies_read
from kshare.calendars.mail_in import MailInResult, mail_in_message
from kshare.calendars.tests.imip_mail import (
    apple_reply,
    google_reply,
    invitation_calendar,
    outlook_reply,
    plain_mail,
)
from kshare.core.tests.daytime import days_ahead_at
from kshare.people.tests.factories import PersonFactory
from kshare.sessions import services
from kshare.sessions.invitations import invitations_create, rsvp_set
from kshare.sessions.models import Invitation, State
from kshare.sessions.tests.factories import ScheduledSessionFactory

pytestmark = pytest.mark.django_db

ANN, BEN, CAT = "ann@example.com", "ben@example.com", "cat@example.com"


@pytest.fixture
def invited(django_capture_on_commit_callbacks):
    """A session with capacity 1 and three invitees, each with the invitation mail kshare sent."""
    session = ScheduledSessionFactory(title="Intro to SQL", capacity=1, location="Room 4")
    host = session.host_links.get().person
    people = [
        PersonFactory(email=ANN, display_name="Ann Archer"),
        PersonFactory(email=BEN, display_name="Ben Baker"),
        PersonFactory(email=CAT, display_name="Cat Cole"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        invitations_create(session=session, by=host, people=people)
    mails = {message.to[0]: message for message in mail.outbox}
    assert sorted(mails) == [ANN, BEN, CAT]
    return session, mails


def answers(session) -> dict[str, tuple[str, bool]]:
    """email → (response, waitlisted)."""
    return {
        i.person.email: (i.response, i.waitlisted_at is not None)
        for i in Invitation.objects.filter(session=session).select_related("person")
    }


def counts(result: MailInResult) -> tuple[int, int, int, int, int]:
    return (result.messages, result.saved, result.refused, result.ignored, result.failed)


# -- the invitation names who answers where -------------------------------------------------------


def test_the_invitation_names_the_reply_address_as_organizer_and_the_host_as_chair(
    invited, settings
):
    session, mails = invited
    event = invitation_calendar(mails[ANN]).walk("VEVENT")[0]
    host = session.host_links.get().person
    assert (str(event["ORGANIZER"]), dict(event["ORGANIZER"].params)) == (
        f"mailto:{settings.KSHARE_CALENDAR_REPLY_ADDRESS}",
        {"CN": settings.KSHARE_ORGANISATION_NAME},
    )
    assert [(str(a), a.params["ROLE"], a.params["PARTSTAT"]) for a in event["ATTENDEE"]] == [
        (f"mailto:{host.email}", "CHAIR", "ACCEPTED"),
        (f"mailto:{ANN}", "REQ-PARTICIPANT", "NEEDS-ACTION"),
    ]
    # Ann's invitation names neither Ben nor Cat.
    text = mails[ANN].message().as_string()
    assert (BEN in text, CAT in text) == (False, False)


def test_the_organizer_is_the_configured_reply_address(
    django_capture_on_commit_callbacks, settings
):
    settings.KSHARE_CALENDAR_REPLY_ADDRESS = "calendar-replies@kshare.example.com"
    settings.KSHARE_ORGANISATION_NAME = "Acme, Knowledge; Sharing"
    session = ScheduledSessionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        invitations_create(
            session=session, by=session.host_links.get().person, people=[PersonFactory()]
        )
    [message] = mail.outbox
    organizer = invitation_calendar(message).walk("VEVENT")[0]["ORGANIZER"]
    assert (str(organizer), organizer.params["CN"]) == (
        "mailto:calendar-replies@kshare.example.com",
        "Acme, Knowledge; Sharing",
    )


def test_co_hosts_are_chairs_too_and_the_invitee_is_never_listed_twice(
    django_capture_on_commit_callbacks,
):
    from kshare.sessions.models import SessionHost

    session = ScheduledSessionFactory()
    host = session.host_links.get().person
    cohost = PersonFactory(email="co@example.com", display_name="Cora Cohost")
    SessionHost.objects.create(session=session, person=cohost, role=SessionHost.Role.COHOST)
    guest = PersonFactory(email="gus@example.com", display_name="Gus Guest")
    with django_capture_on_commit_callbacks(execute=True):
        invitations_create(session=session, by=host, people=[guest])
    event = invitation_calendar(mail.outbox[0]).walk("VEVENT")[0]
    assert [(str(a), a.params["ROLE"]) for a in event["ATTENDEE"]] == [
        (f"mailto:{host.email}", "CHAIR"),
        ("mailto:co@example.com", "CHAIR"),
        ("mailto:gus@example.com", "REQ-PARTICIPANT"),
    ]


def test_a_feed_names_no_attendee_only_the_organizer(invited, client, settings):
    """A feed is one person's calendar: the people invited (and their answers) stay out of it,
    whoever subscribes. Only the iMIP invitation to a person names them (and the hosts)."""
    from django.urls import reverse

    from kshare.calendars.tests.feed_support import feed_of

    session, _mails = invited
    ann = Invitation.objects.get(session=session, person__email=ANN).person
    rsvp_set(session=session, person=ann, response="yes")
    response = client.get(reverse("calendars:person_feed", args=[feed_of(ann).token]))
    assert response.status_code == 200
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.pk}@127.0.0.1"
    assert ("ATTENDEE" in event, b"ATTENDEE" in response.content) == (False, False)
    assert str(event["ORGANIZER"]) == f"mailto:{settings.KSHARE_CALENDAR_REPLY_ADDRESS}"


# -- replies as the big clients send them ---------------------------------------------------------


def test_outlook_accept_takes_the_seat(invited):
    session, mails = invited
    raw = outlook_reply(mails[ANN], attendee=ANN, name="Ann Archer", partstat="ACCEPTED")
    assert counts(mail_in_message(raw)) == (1, 1, 0, 0, 0)
    assert answers(session)[ANN] == ("yes", False)


def test_google_decline_counts_once_although_the_calendar_is_in_the_mail_twice(invited):
    session, mails = invited
    raw = google_reply(mails[BEN], attendee=BEN, name="Ben Baker", partstat="DECLINED")
    parsed = replies_read(raw)
    assert [(r.attendee, r.partstat) for r in parsed.replies] == [(BEN, "DECLINED")]
    assert counts(mail_in_message(raw)) == (1, 1, 0, 0, 0)
    assert answers(session)[BEN] == ("no", False)


def test_apple_tentative_in_quoted_printable_is_maybe(invited):
    session, mails = invited
    raw = apple_reply(mails[CAT], attendee=CAT, name="Cat Cole", partstat="TENTATIVE")
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    assert counts(mail_in_message(raw)) == (1, 1, 0, 0, 0)
    assert answers(session)[CAT] == ("maybe", False)


def test_a_full_session_puts_the_calendar_accept_on_the_waitlist_and_a_decline_frees_the_seat(
    invited, django_capture_on_commit_callbacks
):
    session, mails = invited
    mail.outbox.clear()
    mail_in_message(outlook_reply(mails[ANN], attendee=ANN, name="Ann Archer"))
    mail_in_message(google_reply(mails[BEN], attendee=BEN, name="Ben Baker"))
    assert answers(session) == {
        ANN: ("yes", False),
        BEN: ("yes", True),  # capacity 1: on the waitlist, as on the web
        CAT: ("pending", False),
    }
    with django_capture_on_commit_callbacks(execute=True):
        result = mail_in_message(
            outlook_reply(mails[ANN], attendee=ANN, name="Ann Archer", partstat="DECLINED")
        )
    assert counts(result) == (1, 1, 0, 0, 0)
    assert answers(session) == {ANN: ("no", False), BEN: ("yes", False), CAT: ("pending", False)}
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([BEN], "A seat opened up: you are going to Intro to SQL")
    ]


def test_addresses_match_whatever_their_case(invited):
    session, mails = invited
    raw = outlook_reply(mails[ANN], attendee="Ann@Example.COM", name="Ann Archer")
    raw = raw.replace(b"From: Ann Archer <Ann@Example.COM>", b"From: Ann Archer <ANN@example.com>")
    assert counts(mail_in_message(raw)) == (1, 1, 0, 0, 0)
    assert answers(session)[ANN] == ("yes", False)


# -- what changes nothing -------------------------------------------------------------------------


def test_a_reply_from_another_sender_changes_nothing_and_is_logged(invited, caplog):
    session, mails = invited
    raw = outlook_reply(
        mails[ANN], attendee=ANN, name="Ann Archer", partstat="DECLINED", sender=BEN
    )
    with caplog.at_level(logging.WARNING, logger="kshare.calendars.mail_in"):
        assert counts(mail_in_message(raw)) == (1, 0, 1, 0, 0)
    assert answers(session)[ANN] == ("pending", False)
    assert caplog.messages == [
        f"Calendar reply from '{BEN}' refused: it answers for {ANN}, but comes from {BEN}."
    ]


def test_someone_not_invited_cannot_answer_by_mail(invited, caplog):
    session, mails = invited
    PersonFactory(email="dan@example.com")
    raw = google_reply(mails[ANN], attendee="dan@example.com", name="Dan")
    with caplog.at_level(logging.WARNING, logger="kshare.calendars.mail_in"):
        assert counts(mail_in_message(raw)) == (1, 0, 1, 0, 0)
    assert sorted(answers(session)) == [ANN, BEN, CAT]  # no invitation created for Dan
    assert caplog.messages == [
        "Calendar reply from 'dan@example.com' refused: dan@example.com has no invitation to "
        f"session {session.pk}."
    ]


def test_an_unknown_address_and_an_unknown_uid_change_nothing(invited):
    session, mails = invited
    stranger = outlook_reply(mails[ANN], attendee="eve@elsewhere.example", name="Eve")
    cal = invitation_calendar(mails[ANN])
    for event in cal.walk("VEVENT"):
        event["UID"] = icalendar.vText(f"session-{session.pk}@other-site.example")
    other_site = outlook_reply(cal, attendee=ANN, name="Ann Archer")
    for event in cal.walk("VEVENT"):
        event["UID"] = icalendar.vText("rhythm-1@127.0.0.1")
    rhythm = outlook_reply(cal, attendee=ANN, name="Ann Archer")
    for raw in (stranger, other_site, rhythm):
        assert counts(mail_in_message(raw)) == (1, 0, 1, 0, 0)
    assert answers(session)[ANN] == ("pending", False)


def test_the_host_is_not_asked_so_their_reply_changes_nothing(invited):
    session, mails = invited
    host = session.host_links.get().person
    raw = outlook_reply(mails[ANN], attendee=host.email, name=host.display_name)
    assert counts(mail_in_message(raw)) == (1, 0, 1, 0, 0)
    assert Invitation.objects.filter(session=session, person=host).exists() is False


def test_no_answer_after_the_session_or_to_a_cancelled_one(invited, caplog):
    session, mails = invited
    Invitation.objects.filter(session=session).update()  # rows as they are
    past = timezone.now() - timedelta(hours=1)
    type(session).objects.filter(pk=session.pk).update(start=past - timedelta(hours=1), end=past)
    with caplog.at_level(logging.WARNING, logger="kshare.calendars.mail_in"):
        assert counts(mail_in_message(outlook_reply(mails[ANN], attendee=ANN, name="A"))) == (
            1,
            0,
            1,
            0,
            0,
        )
    type(session).objects.filter(pk=session.pk).update(
        start=timezone.now() + timedelta(days=2),
        end=timezone.now() + timedelta(days=2, hours=1),
        state=State.CANCELLED,
    )
    with caplog.at_level(logging.WARNING, logger="kshare.calendars.mail_in"):
        assert counts(mail_in_message(google_reply(mails[BEN], attendee=BEN, name="B"))) == (
            1,
            0,
            1,
            0,
            0,
        )
    assert answers(session) == {
        ANN: ("pending", False),
        BEN: ("pending", False),
        CAT: ("pending", False),
    }
    assert [m.split(" refused: ")[1] for m in caplog.messages] == [
        "Only upcoming scheduled sessions take answers.",
        "This session was cancelled, so it takes no answers.",
    ]


def test_a_reply_to_an_earlier_time_does_not_answer_the_new_one(
    invited, django_capture_on_commit_callbacks
):
    session, mails = invited
    old = mails[ANN]
    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule(
            session=session,
            start=days_ahead_at(40),
            by=session.host_links.get().person,
        )
    session.refresh_from_db()
    assert session.sequence == 1
    assert counts(mail_in_message(outlook_reply(old, attendee=ANN, name="A"))) == (1, 0, 1, 0, 0)
    assert answers(session)[ANN] == ("pending", False)
    [update] = [m for m in mail.outbox if m.to == [ANN] and m.subject.startswith("New time")]
    assert counts(mail_in_message(outlook_reply(update, attendee=ANN, name="A"))) == (
        1,
        1,
        0,
        0,
        0,
    )
    assert answers(session)[ANN] == ("yes", False)


def test_a_calendar_reply_written_before_a_later_web_answer_does_not_undo_it(invited):
    session, mails = invited
    ann = Invitation.objects.get(session=session, person__email=ANN).person
    written = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    rsvp_set(session=session, person=ann, response="no")  # on the web, just now
    raw = outlook_reply(mails[ANN], attendee=ANN, name="Ann Archer", stamp=written)
    assert counts(mail_in_message(raw)) == (1, 0, 1, 0, 0)
    assert answers(session)[ANN] == ("no", False)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff garbage \r\n\r\n\x80",
        b"From: ann@example.com\r\nContent-Type: text/calendar; method=REPLY\r\n\r\nnot ical",
        b"From: ann@example.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
        b"Content-Type: text/calendar; method=REPLY\r\nContent-Transfer-Encoding: base64\r\n\r\n!!",
    ],
    ids=["empty", "binary", "broken-calendar", "cut-multipart", "bad-base64"],
)
def test_bad_mail_is_counted_and_skipped_never_an_error(raw):
    assert counts(mail_in_message(raw)) == (1, 0, 0, 1, 0)


def test_mail_that_is_no_reply_is_ignored(invited):
    session, mails = invited
    forwarded_request = mails[ANN].message().as_bytes()  # a REQUEST, not a REPLY
    thanks = plain_mail(sender=ANN, to="kshare@localhost", subject="Thanks!", body="See you.")
    for raw in (forwarded_request, thanks):
        assert counts(mail_in_message(raw)) == (1, 0, 0, 1, 0)
    assert answers(session)[ANN] == ("pending", False)


def test_a_needs_action_reply_is_no_answer(invited):
    session, mails = invited
    raw = google_reply(mails[ANN], attendee=ANN, name="Ann", partstat="NEEDS-ACTION")
    assert counts(mail_in_message(raw)) == (1, 0, 1, 0, 0)
    assert answers(session)[ANN] == ("pending", False)


# -- the mailbox setting --------------------------------------------------------------------------


def test_the_imap_url_names_server_tls_login_and_folder():
    from kshare import config

    assert config.imap("") is None
    assert config.imap("imaps://kshare%40example.com:p%40ss%3Aw@mail.example.com/Calendar") == {
        "host": "mail.example.com",
        "port": 993,
        "ssl": True,
        "starttls": False,
        "username": "kshare@example.com",
        "password": "p@ss:w",
        "folder": "Calendar",
    }
    assert config.imap("imap://kshare:secret@mail.example.com?tls=1") == {
        "host": "mail.example.com",
        "port": 143,
        "ssl": False,
        "starttls": True,
        "username": "kshare",
        "password": "secret",
        "folder": "INBOX",
    }
    for url, message in [
        (
            "imaps://mail.example.com/INBOX",
            "KSHARE_IMAP_URL needs a user and a host, e.g. "
            "imaps://kshare%40example.com:password@mail.example.com/INBOX.",
        ),
        (
            "imap://u:p@mail.example.com:99999/",
            "KSHARE_IMAP_URL has a port that is not a number (Port out of range 0-65535).",
        ),
    ]:
        with pytest.raises(config.ConfigError) as error:
            config.imap(url)
        assert str(error.value) == message


def test_kshare_check_says_where_calendar_replies_go_and_whether_they_are_read(settings):
    from kshare import config
    from kshare.web.backends import descriptions

    settings.KSHARE_CALENDAR_REPLY_ADDRESS = "calendar@kshare.example.com"
    settings.KSHARE_IMAP = None
    assert descriptions()[2] == (
        "Calendar replies: mailed to calendar@kshare.example.com and not read (set "
        "KSHARE_IMAP_URL, or pipe that address to `kshare mail-in -`)."
    )
    settings.KSHARE_IMAP = config.imap("imaps://calendar:secret@mail.example.com/INBOX")
    settings.KSHARE_TICK_SECONDS = 60
    assert descriptions()[2] == (
        "Calendar replies: mailed to calendar@kshare.example.com, read from "
        "imaps://mail.example.com:993/INBOX every 60 s by the worker; read mail moves to "
        "kshare-done."
    )
