"""Timezone names to zones: the one place kshare turns a stored IANA name into a ``ZoneInfo``.

Two readings, used across apps: ``timezone_get`` for input that must be a real zone (forms,
services: an unknown name is an error a person can act on), ``timezone_or_utc`` for stored
names read back (a person's or an event's zone that a newer tzdata may have dropped falls
back to UTC instead of breaking a page). Plain Python, no Django.
"""

from __future__ import annotations

import zoneinfo

from django.utils.translation import gettext as _

UTC_ZONE = zoneinfo.ZoneInfo("UTC")
NAME_MAX_LENGTH = 64


class UnknownTimezone(ValueError):
    """A timezone name that names no zone; the message says so."""


def timezone_get(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``, or UnknownTimezone (also for empty or overlong names)."""
    if not name or "\x00" in name or len(name) > NAME_MAX_LENGTH:
        raise UnknownTimezone(_("Unknown timezone “%(name)s”.") % {"name": name[:NAME_MAX_LENGTH]})
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UnknownTimezone(
            _("Unknown timezone “%(name)s”. Use a name such as Europe/Berlin.") % {"name": name}
        ) from None


def timezone_or_utc(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``, or UTC when there is none."""
    try:
        return timezone_get(name)
    except UnknownTimezone:
        return UTC_ZONE
