"""Calendar replies built the way the big clients build them, from the invitation kshare sent.

- ``outlook_reply``: Outlook / Exchange Online. ``multipart/alternative`` with text, HTML and
  ``text/calendar; charset="utf-8"; method=REPLY`` in base64; subject "Accepted: <title>";
  the event in a Windows time zone (``TZID:W. Europe Standard Time`` with its VTIMEZONE),
  ``MAILTO:`` in capitals, Microsoft's X- properties.
- ``google_reply``: Google Calendar. ``multipart/mixed`` holding ``multipart/alternative`` (text,
  HTML, ``text/calendar; method=REPLY``) and the same calendar again as ``invite.ics``
  (``application/ics``, base64); ``X-NUM-GUESTS`` on the ATTENDEE; the subject with the date
  and the organiser.
- ``apple_reply``: Apple Calendar. ``multipart/mixed`` with a short text and a
  ``text/calendar; method=REPLY`` part in quoted-printable.

Every builder returns the RFC 822 bytes a mailbox would hold.
"""

from __future__ import annotations

import email.policy
import zoneinfo
from datetime import UTC, datetime
from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid

import icalendar

from kshare.calendars.imip import mailto

VERB = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}


def invitation_calendar(message) -> icalendar.Calendar:
    """The METHOD:REQUEST calendar of an invitation mail (an EmailMessage or raw bytes),
    wherever the mail carries it."""
    raw = message if isinstance(message, bytes) else message.message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    for part in parsed.walk():
        if part.get_content_type() == "text/calendar":
            cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            if str(cal.get("METHOD")) == "REQUEST":
                return cal
    raise AssertionError("The mail carries no METHOD:REQUEST calendar.")


def _event(invitation) -> icalendar.Event:
    cal = (
        invitation
        if isinstance(invitation, icalendar.Calendar)
        else invitation_calendar(invitation)
    )
    [event] = cal.walk("VEVENT")
    return event


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _stamp(stamp: datetime | None) -> str:
    return _utc(stamp or datetime.now(UTC))


def _organizer(event) -> str:
    return mailto(event["ORGANIZER"])


def _calendar_part(text: str, *, encoding: str, subtype: str = "calendar", main: str = "text"):
    part = MIMEBase(main, subtype, charset="utf-8", method="REPLY")
    part.set_payload(text.encode("utf-8"))
    if encoding == "base64":
        encoders.encode_base64(part)
    elif encoding == "quoted-printable":
        encoders.encode_quopri(part)
    else:
        part["Content-Transfer-Encoding"] = encoding
    return part


def _headers(message, *, sender: str, name: str, to: str, subject: str, domain: str) -> None:
    message["From"] = f"{name} <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=domain)
    message["MIME-Version"] = "1.0"


def outlook_reply(
    invitation,
    *,
    attendee: str,
    name: str,
    partstat: str = "ACCEPTED",
    sender: str | None = None,
    sequence: int | None = None,
    stamp: datetime | None = None,
) -> bytes:
    event = _event(invitation)
    title = str(event["SUMMARY"])
    verb = VERB.get(partstat, partstat.title())
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")  # Outlook's "W. Europe Standard Time"
    start, end = (
        event.decoded("DTSTART").astimezone(berlin),
        event.decoded("DTEND").astimezone(berlin),
    )
    seq = event["SEQUENCE"] if sequence is None else sequence
    ics = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "METHOD:REPLY",
            "PRODID:Microsoft Exchange Server 2010",
            "VERSION:2.0",
            "BEGIN:VTIMEZONE",
            "TZID:W. Europe Standard Time",
            "BEGIN:STANDARD",
            "DTSTART:16010101T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:16010101T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
            "END:DAYLIGHT",
            "END:VTIMEZONE",
            "BEGIN:VEVENT",
            f"ATTENDEE;PARTSTAT={partstat};CN={name}:MAILTO:{attendee}",
            "COMMENT;LANGUAGE=en-US:\\n",
            f"SUMMARY;LANGUAGE=en-US:{verb}: {title}",
            f"DTSTART;TZID=W. Europe Standard Time:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=W. Europe Standard Time:{end:%Y%m%dT%H%M%S}",
            f"UID:{event['UID']}",
            "CLASS:PUBLIC",
            "PRIORITY:5",
            f"DTSTAMP:{_stamp(stamp)}",
            "TRANSP:OPAQUE",
            "STATUS:CONFIRMED",
            f"SEQUENCE:{seq}",
            f"X-MICROSOFT-CDO-APPT-SEQUENCE:{seq}",
            "X-MICROSOFT-CDO-OWNERAPPTID:-1",
            "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
            "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
            "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE",
            "X-MICROSOFT-CDO-IMPORTANCE:1",
            "X-MICROSOFT-CDO-INSTTYPE:0",
            "X-MICROSOFT-DISALLOW-COUNTER:FALSE",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    message = MIMEMultipart("alternative")
    _headers(
        message,
        sender=sender or attendee,
        name=name,
        to=_organizer(event),
        subject=f"{verb}: {title}",
        domain="EUR03.PROD.OUTLOOK.COM",
    )
    message["Thread-Topic"] = title
    message["X-MS-Has-Attach"] = ""
    message["X-MS-TNEF-Correlator"] = ""
    message.attach(MIMEText("\r\n", "plain", "us-ascii"))
    message.attach(MIMEText("<html><body><p>&nbsp;</p></body></html>\r\n", "html", "us-ascii"))
    message.attach(_calendar_part(ics, encoding="base64"))
    return message.as_bytes()


def google_reply(
    invitation,
    *,
    attendee: str,
    name: str,
    partstat: str = "ACCEPTED",
    sender: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    event = _event(invitation)
    title = str(event["SUMMARY"])
    verb = VERB.get(partstat, partstat.title())
    organizer = _organizer(event)
    start = event.decoded("DTSTART")
    ics = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:REPLY",
            "BEGIN:VEVENT",
            f"DTSTART:{_utc(start)}",
            f"DTEND:{_utc(event.decoded('DTEND'))}",
            f"DTSTAMP:{_stamp(stamp)}",
            f"ORGANIZER;CN={event['ORGANIZER'].params.get('CN', '')}:mailto:{organizer}",
            f"UID:{event['UID']}",
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
            f"PARTSTAT={partstat};CN={name};X-NUM-GUES",
            f" TS=0:mailto:{attendee}",
            f"CREATED:{_utc(start)}",
            "DESCRIPTION:",
            f"LAST-MODIFIED:{_stamp(stamp)}",
            "LOCATION:",
            f"SEQUENCE:{event['SEQUENCE']}",
            "STATUS:CONFIRMED",
            f"SUMMARY:{title}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    alternative = MIMEMultipart("alternative")
    plain = MIMEText(f"{name} has {verb.lower()} this invitation.\n", "plain", "utf-8")
    alternative.attach(plain)
    alternative.attach(
        MIMEText(f"<p>{name} has {verb.lower()} this invitation.</p>", "html", "utf-8")
    )
    alternative.attach(_calendar_part(ics, encoding="7bit"))
    message = MIMEMultipart("mixed")
    _headers(
        message,
        sender=sender or attendee,
        name=name,
        to=organizer,
        subject=f"{verb}: {title} @ {start:%a %-d %b %Y %H:%M} (UTC) ({organizer})",
        domain="google.com",
    )
    message.attach(alternative)
    attachment = MIMEBase("application", "ics", name="invite.ics")
    attachment.set_payload(ics.encode("utf-8"))
    encoders.encode_base64(attachment)
    attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(attachment)
    return message.as_bytes()


def apple_reply(
    invitation,
    *,
    attendee: str,
    name: str,
    partstat: str = "TENTATIVE",
    sender: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    event = _event(invitation)
    title = str(event["SUMMARY"])
    ics = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Apple Inc.//macOS 15.1//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:REPLY",
            "BEGIN:VEVENT",
            f'ATTENDEE;CN="{name}";EMAIL={attendee};PARTSTAT={partstat}:mailto:{attendee}',
            f"DTEND:{_utc(event.decoded('DTEND'))}",
            f"DTSTAMP:{_stamp(stamp)}",
            f"DTSTART:{_utc(event.decoded('DTSTART'))}",
            f"ORGANIZER:mailto:{_organizer(event)}",
            f"SEQUENCE:{event['SEQUENCE']}",
            f"SUMMARY:{title} (Größe: ä ö ü)",
            f"UID:{event['UID']}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    message = MIMEMultipart("mixed")
    _headers(
        message,
        sender=sender or attendee,
        name=name,
        to=_organizer(event),
        subject=f"Invitation: {title} ({VERB.get(partstat, partstat.title())})",
        domain="icloud.com",
    )
    message.attach(MIMEText(f"{name} has replied to “{title}”.\n", "plain", "utf-8"))
    part = _calendar_part(ics, encoding="quoted-printable")
    part.add_header("Content-Disposition", "attachment", filename="iCal-20310301-101500.ics")
    message.attach(part)
    return message.as_bytes()


def plain_mail(*, sender: str, to: str, subject: str, body: str) -> bytes:
    """A person's ordinary mail (a "thanks!" to the invitation's organiser address)."""
    message = MIMEText(body, "plain", "utf-8")
    _headers(message, sender=sender, name="Someone", to=to, subject=subject, domain="example.com")
    return message.as_bytes()
