"""RFC 5545 building blocks: one VEVENT per session and per rhythm event, calendars around them.

Sessions are written in UTC (``DTSTART:...Z``); rhythm events in their own timezone with a
VTIMEZONE, so that their RRULE keeps its wall-clock time across daylight-saving changes.
UIDs are stable (``session-<pk>@<domain>``); SEQUENCE comes from the model.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from kshare.rhythm.models import RhythmEvent
from kshare.sessions.models import Session, State

PRODID = "-//kshare//kshare knowledge sharing//EN"


def uid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "kshare.invalid"


def session_uid(session: Session) -> str:
    return f"session-{session.pk}@{uid_domain()}"


def rhythm_uid(event: RhythmEvent) -> str:
    return f"rhythm-{event.pk}@{uid_domain()}"


def calendar_new(*, name: str, method: str | None = None) -> Calendar:
    """An empty VCALENDAR with PRODID, VERSION, X-WR-CALNAME and, for invitations, METHOD."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", name)
    return cal


def session_event(
    session: Session,
    *,
    cancelled: bool | None = None,
    attendees: Iterable[tuple[str, str, str]] = (),
) -> Event:
    """The VEVENT of a scheduled (or cancelled) session.

    ``attendees``: (e-mail, display name, PARTSTAT) for invitations (METHOD:REQUEST/CANCEL).
    """
    if session.start is None or session.end is None:
        raise ValueError("Only a session with a start and an end has a calendar event.")
    cancelled = session.state == State.CANCELLED if cancelled is None else cancelled
    event = Event()
    event.add("uid", session_uid(session))
    event.add("sequence", session.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", session.start.astimezone(UTC))
    event.add("dtend", session.end.astimezone(UTC))
    event.add("summary", session.title)
    url = settings.SITE_URL + session.get_absolute_url()
    event.add("url", url)
    description = f"{session.get_format_display()} — {session.programme.name}\n{url}"
    if session.call_url:
        description += f"\nJoin: {session.call_url}"
    event.add("description", description)
    location = session.location or session.call_url
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("categories", ["Knowledge sharing"])
    event.add("transp", "OPAQUE")
    from_name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organiser = vCalAddress(f"mailto:{from_address}")
    organiser.params["cn"] = vText(from_name or settings.KSHARE_ORGANISATION_NAME)
    event.add("organizer", organiser)
    for email, name, partstat in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText(partstat)
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    return event


def rhythm_event_components(event: RhythmEvent) -> list[Event]:
    """The series VEVENT (RRULE, EXDATE for cancelled occurrences) and one RECURRENCE-ID
    override per moved occurrence."""
    tz = zoneinfo.ZoneInfo(event.timezone)
    duration = timedelta(minutes=event.duration_minutes)
    start = event.starts.astimezone(tz)
    series = Event()
    series.add("uid", rhythm_uid(event))
    series.add("sequence", event.sequence)
    series.add("dtstamp", timezone.now().astimezone(UTC).replace(microsecond=0))
    series.add("dtstart", start)
    series.add("dtend", start + duration)
    series.add("summary", event.name)
    series.add("description", event.description or "Information sharing")
    if event.location:
        series.add("location", event.location)
    series.add("categories", ["Information sharing"])
    series.add("rrule", _rrule_dict(event.rrule))
    components = [series]
    for exc in event.exceptions.all():
        original = exc.original_start.astimezone(tz)
        if exc.cancelled:
            series.add("exdate", original)
            continue
        assert exc.new_start is not None and exc.new_end is not None
        moved = Event()
        moved.add("uid", rhythm_uid(event))
        moved.add("sequence", event.sequence)
        moved.add("dtstamp", timezone.now().astimezone(UTC).replace(microsecond=0))
        moved.add("recurrence-id", original)
        moved.add("dtstart", exc.new_start.astimezone(tz))
        moved.add("dtend", exc.new_end.astimezone(tz))
        moved.add("summary", event.name)
        moved.add("categories", ["Information sharing"])
        if exc.note:
            moved.add("description", exc.note)
        components.append(moved)
    return components


def _rrule_dict(rrule: str) -> dict[str, list[str]]:
    from icalendar import vRecur

    return vRecur.from_ical(rrule.removeprefix("RRULE:"))


def calendar_bytes(cal: Calendar) -> bytes:
    """Serialise, adding the VTIMEZONE components that TZID parameters refer to."""
    cal.add_missing_timezones()
    return cal.to_ical()
