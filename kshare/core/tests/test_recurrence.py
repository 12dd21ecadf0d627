from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from kshare.core.recurrence import (
    RecurrenceError,
    describe,
    first_occurrence,
    local_start,
    occurrences_after,
    preset_for,
    preset_rule,
    rrule_normalise,
    rule_build,
    rule_parse,
    series_starts,
    timezone_get,
)

BERLIN = ZoneInfo("Europe/Berlin")
AMS = ZoneInfo("Europe/Amsterdam")
FORTNIGHTLY_TH = "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO"),
        ("rrule:freq=monthly;byday=1fr", "FREQ=MONTHLY;BYDAY=1FR"),
        (" BYDAY=MO,TU;FREQ=WEEKLY; ", "FREQ=WEEKLY;BYDAY=MO,TU"),
        ("FREQ=WEEKLY;INTERVAL=02", "FREQ=WEEKLY;INTERVAL=2"),
        # A local UNTIL is wall-clock time in the event's zone (CEST: UTC+2).
        ("FREQ=WEEKLY;UNTIL=20260601T093000", "FREQ=WEEKLY;UNTIL=20260601T073000Z"),
        # A date UNTIL is the end of that day there (CET: UTC+1).
        ("FREQ=DAILY;UNTIL=20260301", "FREQ=DAILY;UNTIL=20260301T225959Z"),
        ("FREQ=DAILY;UNTIL=20260301T120000Z", "FREQ=DAILY;UNTIL=20260301T120000Z"),
    ],
)
def test_rrule_normalise(raw, normalised):
    assert rrule_normalise(raw, tz=BERLIN) == normalised


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "FREQ=SOMETIMES",
            "The recurrence rule is not valid: FREQ=SOMETIMES is not one of "
            "DAILY, WEEKLY, MONTHLY, YEARLY (a series happens at most once a day).",
        ),
        ("", "The recurrence rule is empty; give one such as FREQ=WEEKLY;BYDAY=MO."),
        ("BYDAY=MO", "The recurrence rule is not valid: FREQ is missing."),
        (
            "FREQ=HOURLY",
            "The recurrence rule is not valid: FREQ=HOURLY is not one of "
            "DAILY, WEEKLY, MONTHLY, YEARLY (a series happens at most once a day).",
        ),
        ("FREQ=WEEKLY;FOO=1", "The recurrence rule is not valid: unknown part “FOO”."),
        ("FREQ=WEEKLY;BYDAY", "The recurrence rule is not valid: “BYDAY” is not NAME=VALUE."),
        ("FREQ=WEEKLY;FREQ=DAILY", "The recurrence rule is not valid: FREQ appears twice."),
        (
            "FREQ=DAILY;BYHOUR=9",
            "The recurrence rule is not valid: BYHOUR is not supported; "
            "the time of day comes from the start time.",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=0",
            "The recurrence rule is not valid: INTERVAL must be a whole number from 1 to 1,000.",
        ),
        (
            "FREQ=WEEKLY;COUNT=-1",
            "The recurrence rule is not valid: COUNT must be a whole number from 1 to 10,000.",
        ),
        (
            "FREQ=WEEKLY;COUNT=3;UNTIL=20270101",
            "The recurrence rule is not valid: give COUNT or UNTIL, not both.",
        ),
        (
            "FREQ=WEEKLY;UNTIL=2027",
            "The recurrence rule is not valid: UNTIL “2027” is not a "
            "date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS, optionally ending in Z for UTC).",
        ),
        (
            "DTSTART:20260101T000000\nRRULE:FREQ=DAILY",
            "The recurrence rule is not valid: give "
            "one RRULE line only, such as FREQ=WEEKLY;BYDAY=MO "
            "(no DTSTART, EXDATE or line breaks).",
        ),
        (
            "FREQ=WEEKLY;" + "BYMONTH=1;" * 60,
            "The recurrence rule is too long (at most 500 characters).",
        ),
    ],
)
def test_rrule_normalise_refuses_with_a_clear_message(raw, message):
    with pytest.raises(RecurrenceError) as caught:
        rrule_normalise(raw, tz=BERLIN)
    assert str(caught.value) == message


def test_rule_build_reports_dateutil_errors():
    start = datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN)
    with pytest.raises(RecurrenceError) as caught:
        rule_build("FREQ=WEEKLY;BYDAY=XX", dtstart=start)
    assert str(caught.value) == "The recurrence rule is not valid: invalid 'BYDAY': XX."


def test_first_occurrence_is_the_first_match_on_or_after_the_start():
    start = datetime(2026, 3, 7, 16, 0, tzinfo=BERLIN)  # the day after the first Friday
    rule = rule_build("FREQ=MONTHLY;BYDAY=1FR", dtstart=start)
    assert first_occurrence(rule, dtstart=start) == datetime(2026, 4, 3, 16, 0, tzinfo=BERLIN)


def test_a_rule_without_occurrences_is_refused():
    start = datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN)
    rule = rule_build("FREQ=WEEKLY;UNTIL=20260101T000000Z", dtstart=start)
    with pytest.raises(RecurrenceError) as caught:
        first_occurrence(rule, dtstart=start)
    assert str(caught.value) == (
        "The recurrence rule produces no occurrence from the first day on (within 10 years): "
        "check UNTIL, COUNT and the BY… parts."
    )


def test_occurrences_after_counts_from_the_given_moment():
    start = datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN)
    rule = rule_build("FREQ=WEEKLY;BYDAY=MO", dtstart=start)
    after = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)  # exactly the second occurrence
    assert [d.astimezone(UTC) for d in occurrences_after(rule, after=after, limit=2)] == [
        datetime(2026, 3, 9, 8, 30, tzinfo=UTC),
        datetime(2026, 3, 16, 8, 30, tzinfo=UTC),
    ]


def test_timezone_get():
    assert timezone_get("America/New_York").key == "America/New_York"
    for bad in ["Mars/Olympus", "", "../etc/passwd", "x" * 70]:
        with pytest.raises(RecurrenceError):
            timezone_get(bad)


def test_local_start_refuses_a_time_the_clocks_skip():
    assert local_start(day=date(2026, 3, 29), at=time(3, 30), tz=BERLIN) == datetime(
        2026, 3, 29, 3, 30, tzinfo=BERLIN
    )
    with pytest.raises(RecurrenceError) as caught:
        local_start(day=date(2026, 3, 29), at=time(2, 30), tz=BERLIN)
    assert str(caught.value) == (
        "02:30 does not exist on 29 March 2026 in Europe/Berlin: the clocks change that night. "
        "Choose another time or day."
    )


def test_errors_carry_the_english_template_and_are_translated_where_shown():
    from django.utils import translation

    from kshare.core.language import error_text

    with pytest.raises(RecurrenceError) as caught:
        local_start(day=date(2026, 3, 29), at=time(2, 30), tz=BERLIN)
    error = caught.value
    assert error.message == (
        "%(time)s does not exist on %(day)s in %(zone)s: the clocks change that night. "
        "Choose another time or day."
    )
    assert error.params == {"time": "02:30", "day": date(2026, 3, 29), "zone": "Europe/Berlin"}
    assert error_text(error) == str(error)
    with translation.override("de"):
        assert error_text(error) == (
            "02:30 gibt es am 29. März 2026 in Europe/Berlin nicht: In dieser Nacht wird die Uhr "
            "umgestellt. Wählen Sie eine andere Uhrzeit oder einen anderen Tag."
        )
    with translation.override("fr"):
        assert error_text(error).startswith("02:30 n'existe pas le 29 mars 2026 dans Europe/Berlin")
        with pytest.raises(RecurrenceError) as unknown:
            timezone_get("Mars/Olympus")
        assert error_text(unknown.value) == (
            "Fuseau horaire «\xa0Mars/Olympus\xa0» inconnu. Utilisez un nom comme Europe/Paris."
        )
    assert error_text(ValueError("plain")) == "plain"


# --- A programme's cadence: presets, the same rules, expansion ------------------------------


@pytest.mark.parametrize(
    ("preset", "rule"),
    [
        ("weekly", "FREQ=WEEKLY;BYDAY=TH"),
        ("fortnightly", FORTNIGHTLY_TH),
        ("monthly", "FREQ=MONTHLY;BYDAY=1TH"),
    ],
)
def test_presets_recur_on_the_first_slots_weekday(preset, rule):
    first = datetime(2026, 3, 5, 16, tzinfo=AMS)  # a Thursday
    assert preset_rule(preset, first=first) == rule
    assert preset_for(rule, first=first) == preset
    assert preset_for("FREQ=DAILY", first=first) == "custom"
    assert preset_for("", first=first) == ""


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "The recurrence rule is empty; give one such as FREQ=WEEKLY;BYDAY=MO."),
        ("BYDAY=TH", "The recurrence rule is not valid: FREQ is missing."),
        (
            "FREQ=HOURLY",
            "The recurrence rule is not valid: FREQ=HOURLY is not one of "
            "DAILY, WEEKLY, MONTHLY, YEARLY (a series happens at most once a day).",
        ),
        (
            "FREQ=WEEKLY;BYDAY=XX",
            "The recurrence rule is not valid: invalid 'BYDAY': XX.",
        ),
        (
            "FREQ=FORTNIGHTLY",
            "The recurrence rule is not valid: FREQ=FORTNIGHTLY is not one of "
            "DAILY, WEEKLY, MONTHLY, YEARLY (a series happens at most once a day).",
        ),
        (
            "FREQ=WEEKLY;UNTIL=20200101T000000Z",
            "The recurrence rule produces no occurrence from the first day on (within 10 "
            "years): check UNTIL, COUNT and the BY… parts.",
        ),
        # Rules a cadence accepted before the two rule sets became one (docs/architecture.md).
        (
            "FREQ=DAILY;BYHOUR=9,15",
            "The recurrence rule is not valid: BYHOUR is not supported; "
            "the time of day comes from the start time.",
        ),
        (
            "FREQ=WEEKLY;COUNT=3;UNTIL=20270101T000000Z",
            "The recurrence rule is not valid: give COUNT or UNTIL, not both.",
        ),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "The recurrence rule produces no occurrence from the first day on (within 10 "
            "years): check UNTIL, COUNT and the BY… parts.",
        ),
        (
            "DTSTART:20260101T000000Z;FREQ=WEEKLY",
            "The recurrence rule is not valid: give one RRULE line only, such as "
            "FREQ=WEEKLY;BYDAY=MO (no DTSTART, EXDATE or line breaks).",
        ),
        (
            "FREQ=WEEKLY;" + "BYDAY=TH;" * 60,
            "The recurrence rule is too long (at most 500 characters).",
        ),
    ],
)
def test_unusable_rules_are_refused_with_a_message(rule, message):
    with pytest.raises(RecurrenceError) as raised:
        rule_parse(rule, first=datetime(2026, 3, 5, 16, tzinfo=AMS))
    assert str(raised.value) == message


def test_cadence_keeps_local_time_across_spring_forward():
    starts = series_starts(
        rule=FORTNIGHTLY_TH,
        first=datetime(2026, 3, 5, 16, tzinfo=AMS),
        timezone="Europe/Amsterdam",
        after=datetime(2026, 3, 6, tzinfo=UTC),
        count=3,
    )
    assert starts == [
        datetime(2026, 3, 19, 15, tzinfo=UTC),  # 16:00 CET
        datetime(2026, 4, 2, 14, tzinfo=UTC),  # 16:00 CEST
        datetime(2026, 4, 16, 14, tzinfo=UTC),
    ]
    assert describe(rule=FORTNIGHTLY_TH, first=datetime(2026, 3, 5, 16, tzinfo=AMS)) == (
        "every second Thursday, 16:00 (Europe/Amsterdam)"
    )


def test_cadence_starts_stop_before_the_end_of_a_window():
    starts = series_starts(
        rule="FREQ=WEEKLY;BYDAY=TH",
        first=datetime(2026, 3, 5, 16, tzinfo=AMS),
        timezone="Europe/Amsterdam",
        after=datetime(2026, 3, 5, 15, tzinfo=UTC),  # the first slot itself is included
        before=datetime(2026, 3, 19, 15, tzinfo=UTC),  # exclusive
    )
    assert starts == [datetime(2026, 3, 5, 15, tzinfo=UTC), datetime(2026, 3, 12, 15, tzinfo=UTC)]


def test_a_first_occurrence_the_clocks_skip_is_refused():
    with pytest.raises(RecurrenceError) as raised:
        rule_parse("FREQ=WEEKLY", first=datetime(2026, 3, 29, 2, 30, tzinfo=AMS))
    assert str(raised.value) == (
        "02:30 does not exist on 29 March 2026 in Europe/Amsterdam: the clocks change that "
        "night. Choose another time or day."
    )


def test_a_local_until_is_read_in_the_series_zone():
    first = datetime(2026, 3, 5, 16, tzinfo=AMS)
    assert rrule_normalise("byday=th; freq=weekly; until=20260319T160000", tz=AMS) == (
        "FREQ=WEEKLY;BYDAY=TH;UNTIL=20260319T150000Z"
    )
    starts = series_starts(
        rule="FREQ=WEEKLY;UNTIL=20260319T160000",
        first=first,
        timezone="Europe/Amsterdam",
        after=first,
        count=5,
    )
    assert len(starts) == 3
