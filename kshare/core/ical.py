"""iCalendar primitives with no domain in them: an empty VCALENDAR, UTC stamps, serialising with
the VTIMEZONE components its TZIDs need (``kshare.core.vtimezone``).

The session invitations (``kshare/sessions/ical.py``, mailed by sessions) and the subscribable
feeds (``kshare/calendars/ical.py``) are both built on these, so the invitations need nothing of
the calendars app above sessions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, vText

from kshare.core.vtimezone import calendar_add_timezones

PRODID = "-//kshare//kshare knowledge sharing//EN"


def uid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "kshare.invalid"


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


def utc_stamp(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def calendar_bytes(cal: Calendar) -> bytes:
    """Serialise, adding the VTIMEZONE components that TZID parameters refer to (RRULE-based,
    one sub-component per earlier transition: see ``kshare.core.vtimezone``)."""
    calendar_add_timezones(cal)
    return cal.to_ical()
