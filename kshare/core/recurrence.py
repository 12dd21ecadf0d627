"""Recurrence: RFC 5545 RRULE values checked, normalised and expanded (no Django, no database).

The one set of rules for every series kshare keeps: rhythm events (``kshare.scheduling``) and a
programme's cadence (``kshare.programmes``). A series starts at its first occurrence, a
timezone-aware datetime in the series' zone, and recurs in that zone's wall-clock time, so
"every second Thursday 16:00 Europe/Amsterdam" stays at 16:00 local time across
daylight-saving changes; instants going out are UTC.

The rules (see docs/architecture.md, "Rhythm, calendars and the slot finder"):

- one RRULE line (an ``RRULE:`` prefix, spaces and case are forgiven), at most 500 characters,
  no DTSTART/EXDATE/RDATE or line breaks;
- FREQ is DAILY, WEEKLY, MONTHLY or YEARLY, and the time of day comes from the first
  occurrence (no BYHOUR/BYMINUTE/BYSECOND): a series happens at most once a day;
- known parts only, each once; INTERVAL 1-1,000, COUNT 1-10,000, not both COUNT and UNTIL;
  a local UNTIL is wall-clock time in the series' zone (a bare date: the end of that day),
  stored in UTC;
- the first occurrence exists on the wall clock (not in a spring-forward gap), and the rule
  gives an occurrence on or after it within ten years.

It lives in ``kshare.core`` because both the programme form (programmes sits below sessions)
and the scheduling app above sessions use it.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.rrule import rrule, rrulestr

from kshare.core.timezones import UnknownTimezone
from kshare.core.timezones import timezone_get as _timezone_get

RRULE_MAX_LENGTH = 500
# A series happens at most once a day, at its start time: sub-daily frequencies and BYHOUR /
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
MAX_COUNT = 10_000
FIRST_WITHIN_YEARS = 10

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

PRESET_NONE = ""
PRESET_WEEKLY = "weekly"
PRESET_FORTNIGHTLY = "fortnightly"
PRESET_MONTHLY = "monthly"
PRESET_CUSTOM = "custom"
PRESETS = (PRESET_WEEKLY, PRESET_FORTNIGHTLY, PRESET_MONTHLY)


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the translation catalogues (makemessages extracts calls by this
    name) and returns it as it is: this module imports no Django, so it raises English and the
    caller translates where a person reads it (``kshare.core.language.error_text``)."""
    return message


def _english(value: object) -> object:
    """A parameter as the English message writes it (a day: "29 March 2026")."""
    if isinstance(value, date):
        return f"{value.day:02d} {value:%B %Y}"
    return value


class RecurrenceError(ValueError):
    """A recurrence rule, timezone or start that cannot make a series; the message says why.

    ``message`` is the English template (``%(name)s`` placeholders, in core's catalogue) and
    ``params`` its values (a day as a ``date``, so that a translation writes it its own way);
    ``str()`` is the English sentence. Show it with ``kshare.core.language.error_text``.
    """

    def __init__(self, message: str, params: dict[str, object] | None = None) -> None:
        self.message = message
        self.params = dict(params or {})
        english = {key: _english(value) for key, value in self.params.items()}
        super().__init__(message % english if self.params else message)


def timezone_get(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``, or RecurrenceError for an unknown one."""
    try:
        return _timezone_get(name)
    except UnknownTimezone as exc:
        raise RecurrenceError(exc.message, exc.params) from None


def rule_text(value: str) -> str:
    """The rule as typed, in one spelling: upper case, no spaces, no ``RRULE:`` prefix, no
    trailing ``;`` (not checked)."""
    text = "".join((value or "").split()).upper()
    return text.removeprefix("RRULE:").rstrip(";")


def _until_utc(value: str, tz: tzinfo) -> str:
    """UNTIL as a UTC date-time (``YYYYMMDDTHHMMSSZ``), which dateutil needs with an aware start.

    A local date-time means that wall-clock time in the series' timezone; a bare date means the
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
            gettext_noop(
                "The recurrence rule is not valid: UNTIL “%(value)s” is not a date (YYYYMMDD) "
                "or date-time (YYYYMMDDTHHMMSS, optionally ending in Z for UTC)."
            ),
            {"value": value},
        ) from None
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def rrule_normalise(value: str, *, tz: tzinfo) -> str:
    """The RRULE in one canonical form (upper case, no ``RRULE:`` prefix, FREQ first, UNTIL in
    UTC), the form it is stored in.

    Raises RecurrenceError with a sentence a person can act on.
    """
    text = rule_text(value)
    line_breaks = any(ch in (value or "").strip() for ch in "\r\n\x00")
    if not text:
        raise RecurrenceError(
            gettext_noop("The recurrence rule is empty; give one such as FREQ=WEEKLY;BYDAY=MO.")
        )
    if len(text) > RRULE_MAX_LENGTH:
        raise RecurrenceError(
            gettext_noop("The recurrence rule is too long (at most %(max)s characters)."),
            {"max": RRULE_MAX_LENGTH},
        )
    if line_breaks or ":" in text:
        raise RecurrenceError(
            gettext_noop(
                "The recurrence rule is not valid: give one RRULE line only, such as "
                "FREQ=WEEKLY;BYDAY=MO (no DTSTART, EXDATE or line breaks)."
            )
        )
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        key, sep, part = piece.partition("=")
        if not sep or not key or not part:
            raise RecurrenceError(
                gettext_noop("The recurrence rule is not valid: “%(piece)s” is not NAME=VALUE."),
                {"piece": piece},
            )
        if key in TIME_PARTS:
            raise RecurrenceError(
                gettext_noop(
                    "The recurrence rule is not valid: %(key)s is not supported; the time of day "
                    "comes from the start time."
                ),
                {"key": key},
            )
        if key not in PARTS:
            raise RecurrenceError(
                gettext_noop("The recurrence rule is not valid: unknown part “%(key)s”."),
                {"key": key},
            )
        if key in parts:
            raise RecurrenceError(
                gettext_noop("The recurrence rule is not valid: %(key)s appears twice."),
                {"key": key},
            )
        parts[key] = part
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError(gettext_noop("The recurrence rule is not valid: FREQ is missing."))
    if freq not in FREQUENCIES:
        raise RecurrenceError(
            gettext_noop(
                "The recurrence rule is not valid: FREQ=%(freq)s is not one of %(allowed)s "
                "(a series happens at most once a day)."
            ),
            {"freq": freq, "allowed": ", ".join(FREQUENCIES)},
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(
            gettext_noop("The recurrence rule is not valid: give COUNT or UNTIL, not both.")
        )
    for key, low, high in (("INTERVAL", 1, MAX_INTERVAL), ("COUNT", 1, MAX_COUNT)):
        if key in parts:
            raw = parts[key]
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise RecurrenceError(
                    gettext_noop(
                        "The recurrence rule is not valid: %(key)s must be a whole number from "
                        "%(low)s to %(high)s."
                    ),
                    {"key": key, "low": low, "high": f"{high:,}"},
                )
            parts[key] = str(int(raw))
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_utc(parts["UNTIL"], tz)
    # FREQ first, as most calendar programs write it.
    ordered = ["FREQ", *[k for k in parts if k != "FREQ"]]
    return ";".join(f"{key}={parts[key]}" for key in ordered)


def rule_build(value: str, *, dtstart: datetime) -> rrule:
    """The dateutil rule of a normalised RRULE for an aware ``dtstart`` (in the series' zone)."""
    try:
        rule = rrulestr(value, dtstart=dtstart)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise RecurrenceError(
            gettext_noop("The recurrence rule is not valid: %(error)s."), {"error": str(exc)}
        ) from None
    if not isinstance(rule, rrule):
        raise RecurrenceError(gettext_noop("The recurrence rule is not valid: give a single rule."))
    return rule


def wall_clock_check(moment: datetime) -> datetime:
    """``moment`` (aware, in its series' zone) when that wall-clock time exists there, else
    RecurrenceError (a time skipped when the clocks go forward)."""
    tz = moment.tzinfo
    assert tz is not None
    round_trip = moment.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise RecurrenceError(
            gettext_noop(
                "%(time)s does not exist on %(day)s in %(zone)s: the clocks change "
                "that night. Choose another time or day."
            ),
            {"time": f"{moment:%H:%M}", "day": moment.date(), "zone": str(tz)},
        )
    return moment


def local_start(*, day: date, at: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``tz``; RecurrenceError when that wall-clock time does not exist."""
    return wall_clock_check(datetime.combine(day, at, tzinfo=tz))


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
            gettext_noop(
                "The recurrence rule produces no occurrence from the first day on (within "
                "%(years)s years): check UNTIL, COUNT and the BY… parts."
            ),
            {"years": FIRST_WITHIN_YEARS},
        )
    return first


def rule_parse(value: str, *, first: datetime) -> rrule:
    """Every rule above at once: the dateutil rule of ``value`` starting at ``first`` (aware,
    in the series' zone), or RecurrenceError."""
    assert first.tzinfo is not None
    normalised = rrule_normalise(value, tz=first.tzinfo)
    wall_clock_check(first)
    rule = rule_build(normalised, dtstart=first)
    first_occurrence(rule, dtstart=first)
    return rule


def occurrences_after(rule: rrule, *, after: datetime, limit: int) -> list[datetime]:
    """Up to ``limit`` occurrences at or after ``after`` (aware, any zone)."""
    return list(rule.xafter(after, count=limit, inc=True))


def series_starts(
    *,
    rule: str,
    first: datetime,
    timezone: str,
    after: datetime,
    before: datetime | None = None,
    count: int | None = None,
) -> list[datetime]:
    """Occurrence starts (UTC) at or after ``after``: those before ``before``, at most ``count``.

    ``first`` is the first occurrence (any aware datetime; it is read in ``timezone``).
    RecurrenceError when the rule, zone or first occurrence breaks a rule above.
    """
    if before is None and count is None:
        raise ValueError("Give before, count or both.")
    tz = timezone_get(timezone)
    local_first = first.astimezone(tz)
    parsed = rule_parse(rule, first=local_first)
    found: list[datetime] = []
    # One pass from the series' start keeps its phase (INTERVAL=2 counts from the first one).
    for current in parsed.xafter(after.astimezone(tz), count=count, inc=True):
        start = current.astimezone(UTC)
        if before is not None and start >= before:
            break
        found.append(start)
    return found


# --- Presets: the weekly, fortnightly and monthly rules a programme's form offers --------------


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
    raise RecurrenceError(gettext_noop("Unknown cadence preset “%(preset)s”."), {"preset": preset})


def preset_for(rule: str, *, first: datetime | None) -> str:
    """Which preset ``rule`` is (``""`` for none, ``"custom"`` when it is no preset)."""
    text = rule_text(rule)
    if not text:
        return PRESET_NONE
    if first is not None:
        for preset in PRESETS:
            if preset_rule(preset, first=first) == text:
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
    return f"{rule_text(rule)} from {first:%Y-%m-%d %H:%M} ({first.tzinfo})"
