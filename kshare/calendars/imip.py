"""Reading iMIP replies (RFC 6047): the answer a calendar program mails to the ORGANIZER when
someone presses Accept, Maybe or Decline on an invitation.

Plain data in, plain data out (no Django): ``replies_read(raw)`` takes one RFC 822 message as
bytes and returns who sent it and the (UID, attendee, PARTSTAT, …) of every REPLY in it. The
calendar part is found wherever the big clients put it:

- Outlook / Exchange: ``multipart/alternative`` with text, HTML and ``text/calendar;
  method=REPLY`` (base64), subject "Accepted: <title>";
- Google Calendar: ``multipart/mixed`` holding that alternative plus the same calendar again as
  an ``invite.ics`` attachment (``application/ics``);
- Apple Calendar: a single ``text/calendar; method=REPLY`` part, quoted-printable.

The same answer found twice in one message counts once. Anything that is not a REPLY (an
auto-reply, a REQUEST forwarded by mistake, a calendar that does not parse) yields no reply;
nothing here raises on bad mail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from email.utils import getaddresses

import icalendar

logger = logging.getLogger(__name__)

CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar", "application/ical"}
# A reply is a few KB; a part much larger than this is no reply and is not parsed.
MAX_CALENDAR_BYTES = 1_000_000


@dataclass(frozen=True)
class Reply:
    uid: str
    attendee: str  # the e-mail address after mailto:, lower case
    partstat: str  # ACCEPTED, TENTATIVE, DECLINED, … (upper case)
    sequence: int | None
    stamp: datetime | None  # DTSTAMP, in UTC


@dataclass(frozen=True)
class Mail:
    sender: str  # the From address, lower case; "" when there is none (or several)
    subject: str
    message_id: str
    replies: tuple[Reply, ...]


def mailto(value: object) -> str:
    """The address of a ``mailto:`` calendar address, lower case; "" for anything else."""
    text = str(value).strip()
    if text[:7].lower() != "mailto:":
        return ""
    address = text[7:].strip()
    return address.lower() if "@" in address and " " not in address else ""


def replies_read(raw: bytes) -> Mail:
    """Who sent ``raw`` and the iMIP replies in it (none when it is not a calendar reply)."""
    try:
        message = message_from_bytes(raw, policy=email_policy.default)
    except Exception:  # the parser is lenient; this is for the truly mangled
        logger.warning("A mail could not be parsed at all.", exc_info=True)
        return Mail(sender="", subject="", message_id="", replies=())
    replies: list[Reply] = []
    for part in message.walk():
        if part.is_multipart() or not _is_calendar(part):
            continue
        for reply in _part_replies(part):
            if reply not in replies:
                replies.append(reply)
    return Mail(
        sender=_sender(message),
        subject=_header(message, "Subject"),
        message_id=_header(message, "Message-ID"),
        replies=tuple(replies),
    )


def _header(message: Message, name: str) -> str:
    try:
        return str(message.get(name, "") or "").strip()
    except Exception:  # a header the policy cannot decode
        return ""


def _sender(message: Message) -> str:
    """The one From address; "" for none, several, or a From that does not parse."""
    try:
        values = message.get_all("From") or []
        addresses = [address for _name, address in getaddresses([str(v) for v in values])]
    except Exception:
        return ""
    addresses = [a.strip().lower() for a in addresses if a and "@" in a]
    return addresses[0] if len(addresses) == 1 else ""


def _is_calendar(part: Message) -> bool:
    if part.get_content_type() in CALENDAR_TYPES:
        return True
    filename = part.get_filename() or ""
    return filename.lower().endswith((".ics", ".ical", ".ifb", ".vcs"))


def _part_replies(part: Message) -> list[Reply]:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return []
    if not isinstance(payload, bytes) or not payload or len(payload) > MAX_CALENDAR_BYTES:
        return []
    try:
        calendars = icalendar.Calendar.from_ical(payload, multiple=True)
    except Exception:
        logger.info("A calendar part does not parse as iCalendar.", exc_info=True)
        return []
    method_param = str(part.get_param("method", "") or "").upper()
    found: list[Reply] = []
    for calendar in calendars:
        method = str(calendar.get("METHOD", "") or method_param).strip().upper()
        if method != "REPLY":
            continue
        for event in calendar.walk("VEVENT"):
            found.extend(_event_replies(event))
    return found


def _event_replies(event: icalendar.cal.Component) -> list[Reply]:
    uid = str(event.get("UID", "")).strip()
    if not uid:
        return []
    sequence = _sequence(event.get("SEQUENCE"))
    stamp = _stamp(event)
    attendees = event.get("ATTENDEE")
    if attendees is None:
        return []
    if not isinstance(attendees, list):
        attendees = [attendees]
    replies = []
    for attendee in attendees:
        address = mailto(attendee)
        params = getattr(attendee, "params", {})
        partstat = str(params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper()
        if address:
            replies.append(Reply(uid, address, partstat, sequence, stamp))
    return replies


def _sequence(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _stamp(event: icalendar.cal.Component) -> datetime | None:
    try:
        value = event.decoded("DTSTAMP")
    except (KeyError, ValueError, TypeError):
        return None
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
