"""Reminder settings of a programme ("7,1" days, "24,1" hours) as data, with errors for people."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_OFFSETS = 6
HOST_REMINDER_MAX_DAYS = 60
INVITEE_REMINDER_MAX_HOURS = 24 * 14


class OffsetsError(ValueError):
    """A reminder list that cannot be used, with a message for people."""


def offsets_parse(text: str, *, unit: str, maximum: int) -> list[int]:
    """``"7, 1"`` → ``[7, 1]``: distinct whole numbers from 1 to ``maximum``, largest first.

    ``unit`` ("days", "hours") only words the errors. Empty text means no reminders.
    """
    parts = [part.strip() for part in text.replace(";", ",").split(",")]
    if parts == [""]:
        return []
    values: list[int] = []
    for part in parts:
        if not part:
            raise OffsetsError(
                _("Separate the days with single commas, e.g. 7,1.")
                if unit == "days"
                else _("Separate the hours with single commas, e.g. 24,1.")
            )
        if not part.isascii() or not part.isdigit():
            raise OffsetsError(
                (
                    _("“%(part)s” is not a whole number of days.")
                    if unit == "days"
                    else _("“%(part)s” is not a whole number of hours.")
                )
                % {"part": part[:20]}
            )
        value = int(part)
        if not 1 <= value <= maximum:
            raise OffsetsError(
                (
                    _("Each value must be between 1 and %(maximum)d days; “%(part)s” is not.")
                    if unit == "days"
                    else _("Each value must be between 1 and %(maximum)d hours; “%(part)s” is not.")
                )
                % {"maximum": maximum, "part": part}
            )
        if value in values:
            raise OffsetsError(
                (
                    ngettext(
                        "%(value)d day is listed twice.", "%(value)d days is listed twice.", value
                    )
                    if unit == "days"
                    else ngettext(
                        "%(value)d hour is listed twice.", "%(value)d hours is listed twice.", value
                    )
                )
                % {"value": value}
            )
        values.append(value)
    if len(values) > MAX_OFFSETS:
        raise OffsetsError(_("List at most %(count)d reminders.") % {"count": MAX_OFFSETS})
    return sorted(values, reverse=True)


def offsets_format(values: list[int]) -> str:
    return ",".join(str(v) for v in values)
