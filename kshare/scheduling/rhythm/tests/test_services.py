from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kshare.people.tests.factories import TeamFactory
from kshare.scheduling.rhythm.models import RhythmEvent, RhythmException
from kshare.scheduling.rhythm.selectors import rhythm_event_schedule, rhythm_occurrences
from kshare.scheduling.rhythm.services import (
    rhythm_event_delete,
    rhythm_event_update,
    rhythm_occurrence_cancel,
    rhythm_occurrence_move,
    rhythm_occurrence_restore,
)
from kshare.scheduling.rhythm.tests.factories import rhythm_event

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def starts(after: datetime, before: datetime, **kwargs) -> list[datetime]:
    return [o.start for o in rhythm_occurrences(after=after, before=before, **kwargs)]


def errors_of(caught) -> dict:
    return caught.value.message_dict


def test_create_stores_the_first_occurrence_and_the_normalised_rule():
    event = rhythm_event(
        name="  Weekly   Huddle ",
        rrule="rrule:freq=weekly;byday=mo;until=20260330",
        start_date=date(2026, 2, 26),  # a Thursday: the series starts the next Monday
    )
    assert (event.name, event.rrule, event.starts, event.sequence) == (
        "Weekly Huddle",
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260330T215959Z",
        utc(2026, 3, 2, 8, 30),
        0,
    )
    assert starts(utc(2026, 1, 1), utc(2026, 12, 31)) == [
        utc(2026, 3, 2, 8, 30),
        utc(2026, 3, 9, 8, 30),
        utc(2026, 3, 16, 8, 30),
        utc(2026, 3, 23, 8, 30),
        utc(2026, 3, 30, 7, 30),  # UNTIL is the end of 30 March in Amsterdam: included
    ]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"rrule": "FREQ=SOMETIMES"},
            {
                "rrule": [
                    "The recurrence rule is not valid: FREQ=SOMETIMES is not one of DAILY, "
                    "WEEKLY, MONTHLY, YEARLY (a series happens at most once a day)."
                ]
            },
        ),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=XX"},
            {"rrule": ["The recurrence rule is not valid: invalid 'BYDAY': XX."]},
        ),
        (
            {"timezone": "Mars/Olympus"},
            {"timezone": ["Unknown timezone “Mars/Olympus”. Use a name such as Europe/Berlin."]},
        ),
        (
            {"duration_minutes": 0},
            {"duration_minutes": ["The duration must be at least one minute."]},
        ),
        (
            {"duration_minutes": -5},
            {"duration_minutes": ["The duration must be at least one minute."]},
        ),
        (
            {"duration_minutes": 1441},
            {"duration_minutes": ["A rhythm event lasts at most 24 hours (1,440 minutes)."]},
        ),
        ({"name": "   "}, {"name": ["Give the event a name."]}),
        (
            {"start_date": date(9999, 12, 1)},
            {"start_date": ["Choose a first day between 1970 and 2200."]},
        ),
        (
            {"start_date": date(1, 1, 1)},
            {"start_date": ["Choose a first day between 1970 and 2200."]},
        ),
        (
            {"rrule": "FREQ=WEEKLY;UNTIL=20260101"},
            {
                "rrule": [
                    "The recurrence rule produces no occurrence from the first day on (within 10 "
                    "years): check UNTIL, COUNT and the BY… parts."
                ]
            },
        ),
        (
            {"start_date": date(2026, 3, 29), "start_time": time(2, 30), "rrule": "FREQ=DAILY"},
            {
                "start_time": [
                    "02:30 does not exist on 29 March 2026 in Europe/Amsterdam: the clocks "
                    "change that night. Choose another time or day."
                ]
            },
        ),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(changes, errors):
    with pytest.raises(ValidationError) as caught:
        rhythm_event(**changes)
    assert errors_of(caught) == errors
    assert RhythmEvent.objects.count() == 0


def test_a_german_reader_gets_the_rule_and_clock_errors_in_german():
    with translation.override("de"), pytest.raises(ValidationError) as caught:
        rhythm_event(start_date=date(2026, 3, 29), start_time=time(2, 30), rrule="FREQ=DAILY")
    assert errors_of(caught) == {
        "start_time": [
            "02:30 gibt es am 29. März 2026 in Europe/Amsterdam nicht: In dieser Nacht wird die "
            "Uhr umgestellt. Wählen Sie eine andere Uhrzeit oder einen anderen Tag."
        ]
    }
    with translation.override("de"), pytest.raises(ValidationError) as caught:
        rhythm_event(timezone="Mars/Olympus")
    assert errors_of(caught) == {
        "timezone": [
            "Unbekannte Zeitzone „Mars/Olympus“. Verwenden Sie einen Namen wie Europe/Berlin."
        ]
    }


def test_update_changes_the_series_and_drops_exceptions_that_no_longer_fit():
    event = rhythm_event()
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 9, 8, 30))
    assert event.sequence == 1
    team = TeamFactory()
    dropped = rhythm_event_update(
        event=event,
        name="Huddle",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        start_date=date(2026, 3, 2),
        start_time=time(10, 0),  # every occurrence moves: the cancelled one no longer exists
        timezone="Europe/Amsterdam",
        duration_minutes=15,
        team=team,
        location="Kitchen",
    )
    event.refresh_from_db()
    assert dropped == 1
    assert (event.name, event.starts, event.duration_minutes, event.team, event.location) == (
        "Huddle",
        utc(2026, 3, 2, 9, 0),
        15,
        team,
        "Kitchen",
    )
    assert event.sequence == 2
    assert RhythmException.objects.count() == 0


def test_update_without_changes_keeps_the_sequence():
    event = rhythm_event()
    dropped = rhythm_event_update(
        event=event,
        name="Weekly Huddle",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        start_date=date(2026, 3, 2),
        start_time=time(9, 30),
        timezone="Europe/Amsterdam",
        duration_minutes=30,
    )
    assert (dropped, event.sequence) == (0, 0)


def test_update_refuses_a_bad_rule_and_changes_nothing():
    event = rhythm_event()
    with pytest.raises(ValidationError):
        rhythm_event_update(
            event=event,
            name="Renamed",
            rrule="FREQ=SOMETIMES",
            start_date=date(2026, 3, 2),
            start_time=time(9, 30),
            timezone="Europe/Amsterdam",
            duration_minutes=30,
        )
    event.refresh_from_db()
    assert (event.name, event.rrule, event.sequence) == ("Weekly Huddle", "FREQ=WEEKLY;BYDAY=MO", 0)


def test_delete_removes_the_series_and_its_exceptions():
    event = rhythm_event()
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 9, 8, 30))
    rhythm_event_delete(event=event)
    assert (RhythmEvent.objects.count(), RhythmException.objects.count()) == (0, 0)


def test_cancel_move_and_restore_one_occurrence_leave_the_series_alone():
    event = rhythm_event()
    window = (utc(2026, 3, 1), utc(2026, 3, 24))
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 9, 8, 30), note="Offsite")
    rhythm_occurrence_move(
        event=event,
        original_start=utc(2026, 3, 16, 8, 30),
        new_start=utc(2026, 3, 17, 12, 0),
        new_end=utc(2026, 3, 17, 12, 45),
    )
    assert event.sequence == 2
    occurrences = rhythm_occurrences(after=window[0], before=window[1])
    assert [(o.start, o.end, o.original_start, o.moved) for o in occurrences] == [
        (utc(2026, 3, 2, 8, 30), utc(2026, 3, 2, 9, 0), utc(2026, 3, 2, 8, 30), False),
        (utc(2026, 3, 17, 12, 0), utc(2026, 3, 17, 12, 45), utc(2026, 3, 16, 8, 30), True),
        (utc(2026, 3, 23, 8, 30), utc(2026, 3, 23, 9, 0), utc(2026, 3, 23, 8, 30), False),
    ]
    event.refresh_from_db()
    assert (event.rrule, event.starts) == ("FREQ=WEEKLY;BYDAY=MO", utc(2026, 3, 2, 8, 30))
    assert rhythm_occurrence_restore(event=event, original_start=utc(2026, 3, 9, 8, 30)) is True
    assert event.sequence == 3
    assert rhythm_occurrence_restore(event=event, original_start=utc(2026, 3, 9, 8, 30)) is False
    assert event.sequence == 3
    assert starts(*window) == [
        utc(2026, 3, 2, 8, 30),
        utc(2026, 3, 9, 8, 30),
        utc(2026, 3, 17, 12, 0),
        utc(2026, 3, 23, 8, 30),
    ]


def test_cancelling_twice_changes_nothing_the_second_time():
    event = rhythm_event()
    first = rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 9, 8, 30))
    second = rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 9, 8, 30))
    assert (first.pk, event.sequence, RhythmException.objects.count()) == (second.pk, 1, 1)


def test_cancelling_a_moved_occurrence_cancels_it():
    event = rhythm_event()
    rhythm_occurrence_move(
        event=event,
        original_start=utc(2026, 3, 9, 8, 30),
        new_start=utc(2026, 3, 10, 8, 30),
        new_end=utc(2026, 3, 10, 9, 0),
    )
    exc = rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 9, 8, 30))
    assert (exc.cancelled, exc.new_start, exc.new_end, event.sequence) == (True, None, None, 2)


@pytest.mark.parametrize(
    "original",
    [
        utc(2026, 3, 9, 8, 31),  # a minute off
        utc(2026, 3, 10, 8, 30),  # a Tuesday
        utc(2026, 2, 23, 8, 30),  # before the series
    ],
)
def test_only_a_real_occurrence_can_be_cancelled_or_moved(original):
    event = rhythm_event()
    with pytest.raises(ValidationError) as caught:
        rhythm_occurrence_cancel(event=event, original_start=original)
    local = original.astimezone(AMSTERDAM)
    assert caught.value.messages == [
        f"{local:%A %d %B %Y, %H:%M} (Europe/Amsterdam) is not an occurrence of “Weekly Huddle”."
    ]
    with pytest.raises(ValidationError):
        rhythm_occurrence_move(
            event=event,
            original_start=original,
            new_start=utc(2026, 3, 10, 8, 30),
            new_end=utc(2026, 3, 10, 9, 0),
        )
    event.refresh_from_db()
    assert (event.sequence, RhythmException.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("new_start", "new_end", "errors"),
    [
        (
            utc(2026, 3, 10, 9),
            utc(2026, 3, 10, 9),
            {"new_end": ["The end must be after the start."]},
        ),
        (
            utc(2026, 3, 10, 9),
            utc(2026, 3, 10, 8),
            {"new_end": ["The end must be after the start."]},
        ),
        (
            utc(2026, 3, 10, 9),
            utc(2026, 3, 11, 9, 1),
            {"new_end": ["A rhythm event lasts at most 24 hours."]},
        ),
        (
            utc(2026, 3, 9, 8, 30),
            utc(2026, 3, 9, 9, 0),
            {
                "new_start": [
                    "That is the occurrence's usual time: restore it instead of moving it."
                ]
            },
        ),
    ],
)
def test_move_refuses_bad_times(new_start, new_end, errors):
    event = rhythm_event()
    with pytest.raises(ValidationError) as caught:
        rhythm_occurrence_move(
            event=event, original_start=utc(2026, 3, 9, 8, 30), new_start=new_start, new_end=new_end
        )
    assert errors_of(caught) == errors
    assert (event.sequence, RhythmException.objects.count()) == (0, 0)


def test_schedule_lists_cancelled_and_moved_occurrences():
    event = rhythm_event()
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 9, 8, 30), note="Offsite")
    rhythm_occurrence_move(
        event=event,
        original_start=utc(2026, 3, 16, 8, 30),
        new_start=utc(2026, 3, 16, 12, 0),
        new_end=utc(2026, 3, 16, 12, 30),
    )
    schedule = rhythm_event_schedule(event=event, after=utc(2026, 3, 2, 8, 45), limit=4)
    assert [
        (o.original_start, o.start, o.cancelled, o.moved, o.note, o.stamp) for o in schedule
    ] == [
        (utc(2026, 3, 2, 8, 30), utc(2026, 3, 2, 8, 30), False, False, "", "20260302T083000Z"),
        (
            utc(2026, 3, 9, 8, 30),
            utc(2026, 3, 9, 8, 30),
            True,
            False,
            "Offsite",
            "20260309T083000Z",
        ),
        (utc(2026, 3, 16, 8, 30), utc(2026, 3, 16, 12, 0), False, True, "", "20260316T083000Z"),
        (utc(2026, 3, 23, 8, 30), utc(2026, 3, 23, 8, 30), False, False, "", "20260323T083000Z"),
    ]


def test_team_events_are_limited_to_the_given_teams():
    mine, other = TeamFactory(), TeamFactory()
    rhythm_event(name="Company")
    rhythm_event(name="Mine", team=mine)
    rhythm_event(name="Other", team=other)
    window = (utc(2026, 3, 2), utc(2026, 3, 3))
    assert [
        o.name for o in rhythm_occurrences(after=window[0], before=window[1], team_ids=[mine.pk])
    ] == [
        "Company",
        "Mine",
    ]
    assert [o.name for o in rhythm_occurrences(after=window[0], before=window[1])] == [
        "Company",
        "Mine",
        "Other",
    ]


def test_a_rule_broken_outside_the_services_shows_no_occurrences_instead_of_failing():
    event = rhythm_event()
    RhythmEvent.objects.filter(pk=event.pk).update(rrule="FREQ=SOMETIMES")
    assert starts(utc(2026, 3, 1), utc(2026, 4, 1)) == []


def test_an_occurrence_still_running_at_the_window_start_is_included():
    rhythm_event(duration_minutes=60)
    assert starts(utc(2026, 3, 2, 9, 0), utc(2026, 3, 2, 12, 0)) == [utc(2026, 3, 2, 8, 30)]
    assert starts(utc(2026, 3, 2, 9, 30), utc(2026, 3, 2, 12, 0)) == []


def test_move_takes_local_times_and_stores_utc():
    event = rhythm_event()
    exc = rhythm_occurrence_move(
        event=event,
        original_start=utc(2026, 3, 9, 8, 30),
        new_start=datetime(2026, 3, 9, 14, 0, tzinfo=AMSTERDAM),
        new_end=datetime(2026, 3, 9, 14, 0, tzinfo=AMSTERDAM) + timedelta(minutes=30),
    )
    exc.refresh_from_db()
    assert (exc.new_start, exc.new_end) == (utc(2026, 3, 9, 13, 0), utc(2026, 3, 9, 13, 30))


@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_to_one_occurrence_each_count_once():
    from kshare.web.tests.race import race

    event = rhythm_event()
    original = utc(2026, 3, 9, 8, 30)

    def act(i: int) -> None:
        if i % 2:
            rhythm_occurrence_cancel(
                event=RhythmEvent.objects.get(pk=event.pk), original_start=original
            )
        else:
            rhythm_occurrence_move(
                event=RhythmEvent.objects.get(pk=event.pk),
                original_start=original,
                new_start=utc(2026, 3, 10, 8, 0),
                new_end=utc(2026, 3, 10, 9, 0),
            )

    assert race(act, threads=4) == []
    event.refresh_from_db()
    # Two cancels and two moves: the repeated ones change nothing, but they interleave, so
    # between two and four real changes happened, one row per occurrence whatever the order.
    assert RhythmException.objects.filter(event=event).count() == 1
    assert 2 <= event.sequence <= 4


def test_cancelled_occurrences_are_kept_on_request():
    event = rhythm_event()
    rhythm_occurrence_cancel(event=event, original_start=utc(2026, 3, 9, 8, 30), note="Offsite")
    window = (utc(2026, 3, 9), utc(2026, 3, 10))
    occurrences = rhythm_occurrences(after=window[0], before=window[1], include_cancelled=True)
    assert [(o.start, o.cancelled, o.note) for o in occurrences] == [
        (utc(2026, 3, 9, 8, 30), True, "Offsite")
    ]
    assert rhythm_occurrences(after=window[0], before=window[1]) == []
