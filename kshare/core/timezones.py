"""Timezone names to zones: the one place kshare turns a stored IANA name into a ``ZoneInfo``.

Two readings, used across apps: ``timezone_get`` for input that must be a real zone (forms,
services: an unknown name is an error a person can act on), ``timezone_or_utc`` for stored
names read back (a person's or an event's zone that a newer tzdata may have dropped falls
back to UTC instead of breaking a page). Plain Python, no Django.
"""

from __future__ import annotations

import zoneinfo

UTC_ZONE = zoneinfo.ZoneInfo("UTC")
NAME_MAX_LENGTH = 64


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the translation catalogues (makemessages extracts calls by this
    name) and returns it as it is: this module imports no Django, so it raises English and the
    caller translates where a person reads it (``kshare.core.language.error_text``)."""
    return message


class UnknownTimezone(ValueError):
    """A timezone name that names no zone; the message says so.

    ``message`` is the English template (in core's catalogue), ``params`` its values, ``str()``
    the English sentence; show it with ``kshare.core.language.error_text``.
    """

    def __init__(self, message: str, params: dict[str, object] | None = None) -> None:
        self.message = message
        self.params = dict(params or {})
        super().__init__(message % self.params if self.params else message)


def timezone_get(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``, or UnknownTimezone (also for empty or overlong names)."""
    if not name or "\x00" in name or len(name) > NAME_MAX_LENGTH:
        raise UnknownTimezone(
            gettext_noop("Unknown timezone “%(name)s”."), {"name": name[:NAME_MAX_LENGTH]}
        )
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UnknownTimezone(
            gettext_noop("Unknown timezone “%(name)s”. Use a name such as Europe/Berlin."),
            {"name": name},
        ) from None


def timezone_or_utc(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``, or UTC when there is none."""
    try:
        return timezone_get(name)
    except UnknownTimezone:
        return UTC_ZONE
