"""The calendar feeds: one VEVENT per session and per rhythm event, in a subscribable calendar.

The session's VEVENT is ``kshare/sessions/ical.py`` (the invitations sessions mails carry the
same event), the VCALENDAR and VTIMEZONE primitives are ``kshare/core/ical.py`` and
``kshare/core/vtimezone.py``; this module adds the feeds and the rhythm events. Rhythm events are
written in their own timezone with a VTIMEZONE, so that their RRULE keeps its wall-clock time
across daylight-saving changes. UIDs are stable (``rhythm-<pk>@<domain>``).
"""

from __future__ import annotations

import hashlib
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Calendar, Event, vDDDTypes, vRecur, vText

from kshare.core.ical import PRODID, calendar_bytes, calendar_new, uid_domain, utc_stamp
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.scheduling.rhythm.selectors import rhythm_holiday_exdates
from kshare.sessions.ical import (
    session_chairs,
    session_event,
    session_pk_from_uid,
    session_uid,
)
from kshare.sessions.models import Session

# The session's VEVENT is the sessions app's (its invitations carry it), the VCALENDAR around it
# core's; they are named here too, for the feeds' readers.
__all__ = [
    "PRODID",
    "calendar_bytes",
    "calendar_new",
    "feed_calendar",
    "feed_fingerprint",
    "rhythm_event_components",
    "rhythm_uid",
    "session_chairs",
    "session_event",
    "session_pk_from_uid",
    "session_uid",
]


def rhythm_uid(event: RhythmEvent) -> str:
    return f"rhythm-{event.pk}@{uid_domain()}"


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
    stamp = utc_stamp(event.updated_at or timezone.now())
    series = Event()
    series.add("uid", rhythm_uid(event))
    series.add("sequence", event.sequence)
    series.add("dtstamp", stamp)
    series.add("dtstart", start)
    series.add("dtend", start + duration)
    series.add("summary", event.name)
    series.add("description", event.description or gettext("Information sharing"))
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
        moved.add("description", exc.note or event.description or gettext("Information sharing"))
        if event.location:
            moved.add("location", event.location)
        moved.add("categories", ["Information sharing"])
        moved.add("transp", "OPAQUE")
        components.append(moved)
    return components


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
