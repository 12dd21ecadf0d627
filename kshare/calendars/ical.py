"""RFC 5545 building blocks: one VEVENT per session and per rhythm event, calendars around them.

Sessions are written in UTC (``DTSTART:...Z``); rhythm events in their own timezone with a
VTIMEZONE, so that their RRULE keeps its wall-clock time across daylight-saving changes.
UIDs are stable (``session-<pk>@<domain>``); SEQUENCE comes from the model.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vDDDTypes, vRecur, vText

from kshare.calendars.vtimezone import calendar_add_timezones
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.scheduling.rhythm.selectors import rhythm_holiday_exdates
from kshare.sessions.models import Session, State

PRODID = "-//kshare//kshare knowledge sharing//EN"


def uid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "kshare.invalid"


def session_uid(session: Session) -> str:
    return f"session-{session.pk}@{uid_domain()}"


def rhythm_uid(event: RhythmEvent) -> str:
    return f"rhythm-{event.pk}@{uid_domain()}"


def calendar_new(*, name: str, method: str | None = None) -> Calendar:
    """An empty VCALENDAR with PRODID, VERSION, X-WR-CALNAME and, for invitations, METHOD.

    The name goes in both X-WR-CALNAME (what Apple, Google and Outlook read) and NAME (RFC 7986),
    as TEXT values: escaped, so a title with a comma, a semicolon, a backslash or a line break
    reads back as written (icalendar writes a plain ``str`` of an unknown or X- property as it
    is, and refuses one with a line break).
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", vText(name))
    cal.add("name", vText(name))
    return cal


# Subscribed feeds: how often clients should fetch again (RFC 7986 REFRESH-INTERVAL; Outlook
# reads X-PUBLISHED-TTL). Clients are free to poll less often; most do.
FEED_REFRESH = timedelta(hours=1)  # also "PT1H" in X-PUBLISHED-TTL below


def feed_calendar(
    *,
    name: str,
    sessions: Iterable[Session],
    rhythm_events: Iterable[RhythmEvent] = (),
    description: str = "",
) -> Calendar:
    """A subscribable feed (no METHOD): one VEVENT per session, the rhythm series with their
    exceptions. DTSTAMP is each item's last change, so an unchanged feed serialises to the same
    bytes and can be answered with 304 Not Modified."""
    cal = calendar_new(name=name)
    if description:
        cal.add("x-wr-caldesc", vText(description))
        cal.add("description", vText(description))
    cal.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for session in sessions:
        cal.add_component(session_event(session, stamp=session.updated_at))
    for event in rhythm_events:
        for component in rhythm_event_components(event):
            cal.add_component(component)
    return cal


# Bump when the feed's bytes change for the same rows (a new property, another layout).
# 3: ORGANIZER is the calendar reply address (KSHARE_CALENDAR_REPLY_ADDRESS), CN the site name.
# 4: VTIMEZONE from RRULE-based STANDARD/DAYLIGHT blocks (both changes landed as "3" the same day).
FEED_FORMAT = 4


def _row(instance: Any) -> tuple:
    return tuple(field.value_from_object(instance) for field in instance._meta.concrete_fields)


def feed_fingerprint(
    *,
    name: str,
    description: str,
    sessions: Iterable[Session],
    rhythm_events: Iterable[RhythmEvent] = (),
) -> str:
    """What ``feed_calendar`` builds its bytes from, hashed: every stored field of each session,
    its programme, each rhythm event and its exceptions, the feed's name and description, and
    the settings the events show. Equal fingerprints mean equal feeds, so it is the feed's
    ETag (a conditional request is answered 304 before anything is built) and the key of its
    cached bytes, which therefore never need invalidating: changed rows make another key."""
    digest = hashlib.sha256()
    head = (
        FEED_FORMAT,
        icalendar.__version__,
        name,
        description,
        settings.SITE_URL,
        settings.KSHARE_CALENDAR_REPLY_ADDRESS,
        settings.KSHARE_ORGANISATION_NAME,
    )
    digest.update(repr(head).encode())
    for session in sessions:
        digest.update(repr(("s", _row(session), _row(session.programme))).encode())
    for event in rhythm_events:
        exceptions = sorted(_row(exc) for exc in event.exceptions.all())
        digest.update(repr(("r", _row(event), exceptions)).encode())
    return digest.hexdigest()[:40]


def session_event(
    session: Session,
    *,
    cancelled: bool | None = None,
    attendees: Iterable[tuple[str, str, str]] = (),
    chairs: Iterable[tuple[str, str]] = (),
    stamp: datetime | None = None,
) -> Event:
    """The VEVENT of a scheduled (or cancelled) session.

    ``attendees``: (e-mail, display name, PARTSTAT) of the invitee an invitation
    (METHOD:REQUEST/CANCEL) is for, asked to answer (``RSVP=TRUE``). ``chairs``: (e-mail,
    display name) of the hosts and co-hosts, ``ROLE=CHAIR`` and already ``ACCEPTED``, never
    asked. A feed passes neither: it is one person's view and names nobody else.
    ORGANIZER is ``KSHARE_CALENDAR_REPLY_ADDRESS``, the mailbox ``kshare mail-in`` reads, so an
    Accept or Decline pressed in a calendar program comes back as the RSVP (iMIP, RFC 6047).
    ``stamp``: the DTSTAMP; by default now (right for a METHOD message). A feed without METHOD
    passes the session's last change (RFC 5545 3.8.7.2).
    """
    if session.start is None or session.end is None:
        raise ValueError("Only a session with a start and an end has a calendar event.")
    cancelled = session.state == State.CANCELLED if cancelled is None else cancelled
    event = Event()
    event.add("uid", session_uid(session))
    event.add("sequence", session.sequence)
    event.add("dtstamp", _utc(stamp or timezone.now()))
    # UTC on both ends: a session that starts on one day and ends on another (a two-day
    # workshop) is exact in every client, whatever its timezone.
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
    organiser = vCalAddress(f"mailto:{settings.KSHARE_CALENDAR_REPLY_ADDRESS}")
    organiser.params["cn"] = vText(settings.KSHARE_ORGANISATION_NAME)
    event.add("organizer", organiser)
    for email, name in chairs:
        chair = vCalAddress(f"mailto:{email}")
        chair.params["cn"] = vText(name)
        chair.params["role"] = vText("CHAIR")
        chair.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", chair, encode=False)
    for email, name, partstat in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText(partstat)
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    return event


def session_chairs(session: Session) -> list[tuple[str, str]]:
    """(e-mail, display name) of the session's hosts and co-hosts who still have an account,
    the host first: the ``ROLE=CHAIR`` attendees of its invitations."""
    return [
        (link.person.email, link.person.display_name)
        for link in session.host_links.select_related("person").order_by("-role", "id")
        if link.person.is_active
    ]


def session_pk_from_uid(uid: str) -> int | None:
    """The session a UID written by ``session_uid`` names on this site, or None (another
    site's, a rhythm event's, or not ours at all)."""
    local, at, domain = uid.strip().rpartition("@")
    if not at or domain.lower() != uid_domain().lower() or not local.startswith("session-"):
        return None
    number = local.removeprefix("session-")
    if not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return int(number) or None


def rhythm_event_components(event: RhythmEvent) -> list[Event]:
    """The series VEVENT (RRULE, EXDATE for cancelled occurrences) and one RECURRENCE-ID
    override per moved occurrence.

    Everything is in the event's own timezone (TZID, with a VTIMEZONE added by
    ``calendar_bytes``), so a 09:30 huddle stays at 09:30 across daylight-saving changes. EXDATE
    and RECURRENCE-ID have DTSTART's value type and zone (RFC 5545 3.8.5.1, 3.8.4.4); the
    overrides share the series' UID. DTSTAMP is the event's last change.
    """
    tz = zoneinfo.ZoneInfo(event.timezone)
    duration = timedelta(minutes=event.duration_minutes)
    start = event.starts.astimezone(tz)
    stamp = _utc(event.updated_at or timezone.now())
    series = Event()
    series.add("uid", rhythm_uid(event))
    series.add("sequence", event.sequence)
    series.add("dtstamp", stamp)
    series.add("dtstart", start)
    series.add("dtend", start + duration)
    series.add("summary", event.name)
    series.add("description", event.description or "Information sharing")
    if event.location:
        series.add("location", event.location)
    series.add("categories", ["Information sharing"])
    series.add("transp", "OPAQUE")
    series.add("rrule", _rrule_dict(event.rrule, tz=tz))
    components = [series]
    exceptions = sorted(event.exceptions.all(), key=lambda exc: (exc.original_start, exc.pk))
    cancelled = [exc.original_start.astimezone(tz) for exc in exceptions if exc.cancelled]
    moved_starts = {exc.original_start for exc in exceptions if not exc.cancelled}
    # Occurrences skipped for a holiday (the event's ``skip_holidays``) are EXDATEs too.
    for skipped in rhythm_holiday_exdates(event=event, now=timezone.now()):
        if skipped not in moved_starts and skipped.astimezone(tz) not in cancelled:
            cancelled.append(skipped.astimezone(tz))
    cancelled.sort()
    if cancelled:
        # One EXDATE property with every cancelled start (a list value).
        series.add("exdate", cancelled)
    for exc in exceptions:
        if exc.cancelled:
            continue
        assert exc.new_start is not None and exc.new_end is not None
        moved = Event()
        moved.add("uid", rhythm_uid(event))
        moved.add("sequence", event.sequence)
        moved.add("dtstamp", stamp)
        moved.add("recurrence-id", exc.original_start.astimezone(tz))
        moved.add("dtstart", exc.new_start.astimezone(tz))
        moved.add("dtend", exc.new_end.astimezone(tz))
        moved.add("summary", event.name)
        moved.add("description", exc.note or event.description or "Information sharing")
        if event.location:
            moved.add("location", event.location)
        moved.add("categories", ["Information sharing"])
        moved.add("transp", "OPAQUE")
        components.append(moved)
    return components


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _rrule_dict(rrule: str, *, tz: zoneinfo.ZoneInfo) -> vRecur:
    """The RRULE value, with UNTIL made valid for a DTSTART with a TZID: RFC 5545 wants it in
    UTC (``...Z``). A date or a floating time is read as wall-clock time in ``tz``."""
    recur = vRecur.from_ical(rrule.strip().removeprefix("RRULE:"))
    until = recur.get("UNTIL")
    if until:
        value = until[0]
        if isinstance(value, vDDDTypes):
            value = value.dt
        if isinstance(value, datetime):
            local = value if value.tzinfo else value.replace(tzinfo=tz)
        elif isinstance(value, date):
            # The whole last day counts: the occurrence on that day is included.
            local = datetime.combine(value, time(23, 59, 59), tzinfo=tz)
        else:  # pragma: no cover - vRecur parses UNTIL to a date or a datetime
            raise ValueError(f"Unexpected UNTIL in {rrule!r}")
        recur["UNTIL"] = [local.astimezone(UTC)]
    return recur


def calendar_bytes(cal: Calendar) -> bytes:
    """Serialise, adding the VTIMEZONE components that TZID parameters refer to (RRULE-based,
    one sub-component per earlier transition: see ``kshare.calendars.vtimezone``)."""
    calendar_add_timezones(cal)
    return cal.to_ical()
