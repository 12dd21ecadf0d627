"""Reminder settings of a programme ("7,1" days, "24,1" hours) as data, with errors for people."""

from __future__ import annotations

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
            raise OffsetsError(f"Separate the {unit} with single commas, e.g. 7,1.")
        if not part.isascii() or not part.isdigit():
            raise OffsetsError(f"“{part[:20]}” is not a whole number of {unit}.")
        value = int(part)
        if not 1 <= value <= maximum:
            raise OffsetsError(
                f"Each value must be between 1 and {maximum} {unit}; “{part}” is not."
            )
        if value in values:
            raise OffsetsError(f"{value} {unit} is listed twice.")
        values.append(value)
    if len(values) > MAX_OFFSETS:
        raise OffsetsError(f"List at most {MAX_OFFSETS} reminders.")
    return sorted(values, reverse=True)


def offsets_format(values: list[int]) -> str:
    return ",".join(str(v) for v in values)
