"""A programme's cadence as data: RRULE parsing, presets and expansion (no database).

The cadence recurs by an RFC 5545 RRULE in the wall-clock time of its timezone, starting at
its first slot, so "every second Thursday 16:00 Europe/Amsterdam" stays at 16:00 local time
across daylight-saving changes. Every instant going in or out is timezone-aware; results are UTC.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from dateutil.rrule import rrule, rrulestr

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
RULE_MAX_LENGTH = 500

PRESET_NONE = ""
PRESET_WEEKLY = "weekly"
PRESET_FORTNIGHTLY = "fortnightly"
PRESET_MONTHLY = "monthly"
PRESET_CUSTOM = "custom"
PRESETS = (PRESET_WEEKLY, PRESET_FORTNIGHTLY, PRESET_MONTHLY)


class CadenceError(ValueError):
    """A cadence rule that cannot be used, with a message for people."""


def tz_get(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise CadenceError(f"Unknown timezone “{name}”.") from exc


def rule_normalise(text: str) -> str:
    """Upper-case, without an ``RRULE:`` prefix or spaces: the form it is stored in."""
    rule = "".join(text.split()).upper()
    return rule.removeprefix("RRULE:")


def rule_parse(text: str, *, first: datetime) -> rrule:
    """The dateutil rule for ``text`` starting at ``first`` (aware, in the cadence's zone).

    Refuses what a cadence cannot be: unparsable text, several rules, DTSTART inside the rule,
    more often than daily, or a rule without any slot after its first one.
    """
    rule = rule_normalise(text)
    if not rule:
        raise CadenceError("Enter a recurrence rule, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=TH.")
    if len(rule) > RULE_MAX_LENGTH:
        raise CadenceError(f"A recurrence rule has at most {RULE_MAX_LENGTH} characters.")
    if any(part in rule for part in ("DTSTART", "RRULE:", "EXDATE", "RDATE", "\n")):
        raise CadenceError("Enter only the rule itself, e.g. FREQ=WEEKLY;BYDAY=TH.")
    if not rule.startswith("FREQ=") and ";FREQ=" not in rule:
        raise CadenceError("A recurrence rule needs FREQ, e.g. FREQ=WEEKLY;BYDAY=TH.")
    try:
        parsed = rrulestr(rule, dtstart=first)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise CadenceError(f"“{rule}” is not a valid recurrence rule (RFC 5545).") from exc
    if not isinstance(parsed, rrule):
        raise CadenceError("Enter one recurrence rule.")
    freq = dict(part.partition("=")[::2] for part in rule.split(";")).get("FREQ", "")
    if freq not in ALLOWED_FREQUENCIES:
        raise CadenceError("A cadence repeats at most daily (FREQ=DAILY, WEEKLY or MONTHLY).")
    try:
        later = parsed.after(first, inc=True)
    except (ValueError, TypeError) as exc:
        raise CadenceError(f"“{rule}” is not a valid recurrence rule (RFC 5545).") from exc
    if later is None:
        raise CadenceError("This rule has no slot on or after the first slot.")
    return parsed


def preset_rule(preset: str, *, first: datetime) -> str:
    """The RRULE of a preset, on the weekday of ``first`` (a local, aware datetime)."""
    day = WEEKDAY_CODES[first.weekday()]
    if preset == PRESET_WEEKLY:
        return f"FREQ=WEEKLY;BYDAY={day}"
    if preset == PRESET_FORTNIGHTLY:
        return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"
    if preset == PRESET_MONTHLY:
        # The first <weekday> of the month, like the seed's "Figure Friday".
        return f"FREQ=MONTHLY;BYDAY=1{day}"
    raise CadenceError(f"Unknown cadence preset “{preset}”.")


def preset_for(rule: str, *, first: datetime | None) -> str:
    """Which preset ``rule`` is (``""`` for none, ``"custom"`` when it is no preset)."""
    rule = rule_normalise(rule)
    if not rule:
        return PRESET_NONE
    if first is not None:
        for preset in PRESETS:
            if preset_rule(preset, first=first) == rule:
                return preset
    return PRESET_CUSTOM


def describe(*, rule: str, first: datetime) -> str:
    """Words for a preset ("every second Thursday, 16:00 (Europe/Amsterdam)"), else the rule."""
    preset = preset_for(rule, first=first)
    when = f"{WEEKDAY_NAMES[first.weekday()]}, {first:%H:%M} ({first.tzinfo})"
    if preset == PRESET_WEEKLY:
        return f"every {when}"
    if preset == PRESET_FORTNIGHTLY:
        return f"every second {when}"
    if preset == PRESET_MONTHLY:
        return f"first {when} of the month"
    return f"{rule_normalise(rule)} from {first:%Y-%m-%d %H:%M} ({first.tzinfo})"


def cadence_starts(
    *,
    rule: str,
    first: datetime,
    timezone: str,
    after: datetime,
    before: datetime | None = None,
    count: int | None = None,
) -> list[datetime]:
    """Slot starts (UTC) at or after ``after``: those before ``before``, at most ``count``.

    ``first`` is the first slot (any aware datetime; it is read in ``timezone``).
    """
    if before is None and count is None:
        raise ValueError("Give before, count or both.")
    tz = tz_get(timezone)
    local_first = first.astimezone(tz)
    parsed = rule_parse(rule, first=local_first)
    found: list[datetime] = []
    # One pass from the series' start keeps its phase (INTERVAL=2 counts from the first slot).
    for current in parsed.xafter(after.astimezone(tz), count=count, inc=True):
        start = current.astimezone(UTC)
        if before is not None and start >= before:
            break
        found.append(start)
    return found
