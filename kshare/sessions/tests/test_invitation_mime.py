"""Invitations arrive laid out as Outlook and Google send them, through a real SMTP server:
multipart/mixed( multipart/alternative( text/plain, text/html, text/calendar; method=… ),
application/ics attachment ), so that clients apply an invitation, a new time and a
cancellation to the calendar by themselves. The outbox stores the message and rebuilds this
layout at delivery."""

from __future__ import annotations

import email
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy

import icalendar
import pytest
from django.core import mail
from django.test import override_settings

from kshare.core.tests.daytime import daytime_zone
from kshare.outbox.models import OutboxMessage
from kshare.people.tests.factories import PersonFactory
from kshare.sessions import services
from kshare.sessions.invitations import invitations_create
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.sessions.tests.test_invitations import host_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


def tree(part: EmailMessage, depth: int = 0) -> list[str]:
    """The MIME tree: one line per part, its type, parameters and disposition, indented."""
    params = "".join(f"; {k}={v}" for k, v in (part.get_params() or [])[1:] if k != "boundary")
    line = "  " * depth + part.get_content_type() + params
    if part.get_content_disposition():
        line += f" [{part.get_content_disposition()} {part.get_filename()}]"
    lines = [line]
    if part.is_multipart():
        for child in part.iter_parts():
            lines += tree(child, depth + 1)
    return lines


def layout(method: str) -> list[str]:
    return [
        "multipart/mixed",
        "  multipart/alternative",
        "    text/plain; charset=utf-8",
        "    text/html; charset=utf-8",
        f"    text/calendar; method={method}; charset=utf-8",
        "  application/ics; name=invite.ics [attachment invite.ics]",
    ]


def calendar_parts(message: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    alternative = next(message.iter_parts())
    return list(alternative.iter_parts())[2], list(message.iter_parts())[1]


def test_invitation_new_time_and_cancellation_arrive_as_calendar_clients_expect(
    smtp_server, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://kshare.example.com"
    session = ScheduledSessionFactory(title="Observability 101")
    guest = PersonFactory(email="guest@example.com", display_name="Gus Guest")
    host = host_of(session)
    old_start = session.start
    new_start = old_start + timedelta(days=2)
    with override_settings(MAILERS=smtp_server.mailers):
        with django_capture_on_commit_callbacks(execute=True):
            invitations_create(session=session, by=host, people=[guest])
        with django_capture_on_commit_callbacks(execute=True):
            services.session_update(session=session, by=host, start=new_start, end=None)
        with django_capture_on_commit_callbacks(execute=True):
            services.session_cancel(session=session, by=host, reason="Host is ill")

    assert mail.outbox == []  # through SMTP, not the in-memory backend
    # Three to the guest; two to the host, whose own calendar mails (host_mail.py: the
    # session in their calendar at the first change, then its cancellation) are laid out alike.
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 5
    everyone = [
        email.message_from_bytes(m.as_bytes(), policy=default_policy) for m in smtp_server.messages
    ]
    to_host = [m for m in everyone if m["To"] == host.email]
    assert [m["Subject"].split(":")[0] for m in to_host] == ["Scheduled", "Cancelled"]
    assert [tree(m) for m in to_host] == [layout("REQUEST"), layout("CANCEL")]
    received = [m for m in everyone if m["To"] == "guest@example.com"]
    subjects = [m["Subject"].split(":")[0] for m in received]
    assert subjects == ["Invitation", "New time", "Cancelled"]
    expected = [
        ("REQUEST", 0, "CONFIRMED", old_start),
        ("REQUEST", 1, "CONFIRMED", new_start),
        ("CANCEL", 2, "CANCELLED", new_start),
    ]
    for message, (method, sequence, status, start) in zip(received, expected, strict=True):
        assert tree(message) == layout(method)
        part, attached = calendar_parts(message)
        assert str(part["Content-Type"]) == f'text/calendar; method="{method}"; charset="utf-8"'
        assert part["Content-Disposition"] is None  # an alternative, not a file
        ics = part.get_payload(decode=True)
        assert ics.endswith(b"END:VCALENDAR\r\n")  # CRLF line ends survive (base64)
        assert attached.get_payload(decode=True) == ics
        cal = icalendar.Calendar.from_ical(ics)
        assert str(cal["METHOD"]) == method
        [event] = cal.walk("VEVENT")
        assert str(event["UID"]) == f"session-{session.pk}@kshare.example.com"
        assert (event["SEQUENCE"], str(event["STATUS"])) == (sequence, status)
        assert event.decoded("DTSTART") == start
        attendees = event["ATTENDEE"]
        attendees = attendees if isinstance(attendees, list) else [attendees]
        assert "mailto:guest@example.com" in [str(a) for a in attendees]
        assert "Observability 101" in message.get_body(("plain",)).get_content()
        assert "Observability 101" in message.get_body(("html",)).get_content()


def test_the_outbox_stores_the_calendar_alternative_and_rebuilds_it(
    django_capture_on_commit_callbacks,
):
    session = ScheduledSessionFactory(title="Kafka basics")
    guest = PersonFactory(email="guest@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invitations_create(session=session, by=host_of(session), people=[guest])

    stored = OutboxMessage.objects.get()
    [alternative] = stored.alternatives
    assert alternative["mimetype"] == 'text/calendar; method="REQUEST"'
    assert alternative["content"].startswith("BEGIN:VCALENDAR\r\n")
    [attachment] = stored.attachments
    assert (attachment["filename"], attachment["mimetype"]) == (
        "invite.ics",
        'application/ics; name="invite.ics"',
    )
    [sent] = mail.outbox
    assert [m for _, m in sent.alternatives] == ["text/html", 'text/calendar; method="REQUEST"']
    assert tree(email.message_from_bytes(sent.message().as_bytes(), policy=default_policy)) == (
        layout("REQUEST")
    )
