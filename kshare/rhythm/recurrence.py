"""Recurrence rules for rhythm events: parsing, checking and normalising RFC 5545 RRULE values.

Plain Python (dateutil, zoneinfo), no Django: services, selectors and the demo use it, and it is
tested on its own.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rrule, rrulestr

RRULE_MAX_LENGTH = 500
# Rhythm events happen at most once a day, at the start time: sub-daily frequencies and BYHOUR /
# BYMINUTE / BYSECOND would turn a calendar week into hundreds of entries.
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
PARTS = {
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
}
TIME_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}
MAX_INTERVAL = 1000
FIRST_WITHIN_YEARS = 10


class RecurrenceError(ValueError):
    """A recurrence rule, timezone or start that cannot make a series; the message says why."""


def timezone_get(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``, or RecurrenceError for an unknown one."""
    if not name or "\x00" in name or len(name) > 64:
        raise RecurrenceError(f"Unknown timezone “{name[:64]}”.")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError(
            f"Unknown timezone “{name}”. Use a name such as Europe/Berlin."
        ) from None


def _until_utc(value: str, tz: zoneinfo.ZoneInfo) -> str:
    """UNTIL as a UTC date-time (``YYYYMMDDTHHMMSSZ``), which dateutil needs with an aware start.

    A local date-time means that wall-clock time in the event's timezone; a bare date means the
    end of that day there (RFC 5545: UNTIL is inclusive).
    """
    try:
        if value.endswith("Z"):
            moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        elif "T" in value:
            moment = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=tz)
        else:
            day = datetime.strptime(value, "%Y%m%d").date()
            moment = datetime.combine(day, time(23, 59, 59), tzinfo=tz)
    except ValueError:
        raise RecurrenceError(
            f"The recurrence rule is not valid: UNTIL “{value}” is not a date (YYYYMMDD) "
            "or date-time (YYYYMMDDTHHMMSS, optionally ending in Z for UTC)."
        ) from None
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def rrule_normalise(value: str, *, tz: zoneinfo.ZoneInfo) -> str:
    """The RRULE in one canonical form (upper case, no ``RRULE:`` prefix, UNTIL in UTC).

    Raises RecurrenceError with a sentence a person can act on.
    """
    text = (value or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    text = text.strip().rstrip(";").upper()
    if not text:
        raise RecurrenceError(
            "The recurrence rule is empty; give one such as FREQ=WEEKLY;BYDAY=MO."
        )
    if len(text) > RRULE_MAX_LENGTH:
        raise RecurrenceError(
            f"The recurrence rule is too long (at most {RRULE_MAX_LENGTH} characters)."
        )
    if any(ch in text for ch in "\r\n\x00") or ":" in text:
        raise RecurrenceError(
            "The recurrence rule is not valid: give one RRULE line only, such as "
            "FREQ=WEEKLY;BYDAY=MO (no DTSTART, EXDATE or line breaks)."
        )
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        key, sep, part = piece.strip().partition("=")
        if not sep or not key or not part:
            raise RecurrenceError(f"The recurrence rule is not valid: “{piece}” is not NAME=VALUE.")
        if key in TIME_PARTS:
            raise RecurrenceError(
                f"The recurrence rule is not valid: {key} is not supported; the time of day "
                "comes from the start time."
            )
        if key not in PARTS:
            raise RecurrenceError(f"The recurrence rule is not valid: unknown part “{key}”.")
        if key in parts:
            raise RecurrenceError(f"The recurrence rule is not valid: {key} appears twice.")
        parts[key] = part
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("The recurrence rule is not valid: FREQ is missing.")
    if freq not in FREQUENCIES:
        raise RecurrenceError(
            f"The recurrence rule is not valid: FREQ={freq} is not one of "
            + ", ".join(FREQUENCIES)
            + " (rhythm events happen at most once a day)."
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("The recurrence rule is not valid: give COUNT or UNTIL, not both.")
    for key, low, high in (("INTERVAL", 1, MAX_INTERVAL), ("COUNT", 1, 10_000)):
        if key in parts:
            raw = parts[key]
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise RecurrenceError(
                    f"The recurrence rule is not valid: {key} must be a whole number from "
                    f"{low} to {high:,}."
                )
            parts[key] = str(int(raw))
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_utc(parts["UNTIL"], tz)
    # FREQ first, as most calendar programs write it.
    ordered = ["FREQ", *[k for k in parts if k != "FREQ"]]
    return ";".join(f"{key}={parts[key]}" for key in ordered)


def rule_build(value: str, *, dtstart: datetime) -> rrule:
    """The dateutil rule of a normalised RRULE for an aware ``dtstart`` (in the event's zone)."""
    try:
        rule = rrulestr(value, dtstart=dtstart)
    except (ValueError, TypeError, OverflowError) as exc:
        raise RecurrenceError(f"The recurrence rule is not valid: {exc}.") from None
    if not isinstance(rule, rrule):
        raise RecurrenceError("The recurrence rule is not valid: give a single rule.")
    return rule


def local_start(*, day: date, at: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``tz``; RecurrenceError when that wall-clock time does not exist."""
    moment = datetime.combine(day, at, tzinfo=tz)
    round_trip = moment.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise RecurrenceError(
            f"{at:%H:%M} does not exist on {day:%d %B %Y} in {tz.key}: the clocks change "
            "that night. Choose another time or day."
        )
    return moment


def first_occurrence(rule: rrule, *, dtstart: datetime) -> datetime:
    """The first occurrence on or after ``dtstart``, or RecurrenceError when there is none in
    the next ``FIRST_WITHIN_YEARS`` years (the bound keeps an impossible rule from scanning to
    the year 9999)."""
    bound = dtstart + timedelta(days=366 * FIRST_WITHIN_YEARS)
    until = getattr(rule, "_until", None)
    if until is None or until > bound:
        until = bound
    bounded = rule.replace(until=until, count=None)
    try:
        first = bounded.after(dtstart, inc=True)
    except (ValueError, OverflowError):
        first = None
    if first is None:
        raise RecurrenceError(
            "The recurrence rule produces no occurrence from the first day on (within "
            f"{FIRST_WITHIN_YEARS} years): check UNTIL, COUNT and the BY… parts."
        )
    return first


def occurrences_after(rule: rrule, *, after: datetime, limit: int) -> list[datetime]:
    """Up to ``limit`` occurrences at or after ``after`` (aware, any zone)."""
    return list(rule.xafter(after, count=limit, inc=True))
