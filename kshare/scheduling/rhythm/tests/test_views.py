import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.people.tests.factories import TeamFactory
from kshare.scheduling.rhythm.models import RhythmEvent, RhythmException
from kshare.scheduling.rhythm.selectors import rhythm_event_schedule
from kshare.scheduling.rhythm.services import rhythm_occurrence_cancel, rhythm_occurrence_move
from kshare.scheduling.rhythm.tests.factories import rhythm_event

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

FORM = {
    "name": "Weekly Huddle",
    "preset": "weekly_monday",
    "rrule": "",
    "start_date": "2026-03-02",
    "start_time": "09:30",
    "duration_minutes": "30",
    "timezone": "Europe/Amsterdam",
    "team": "",
    "location": "",
    "description": "",
}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


def next_stamp(event: RhythmEvent, index: int = 0) -> str:
    return rhythm_event_schedule(event=event, after=timezone.now(), limit=index + 1)[index].stamp


def test_members_read_but_cannot_change(member_client):
    event = rhythm_event(start_date=timezone.localdate())
    stamp = next_stamp(event)
    assert member_client.get("/rhythm/").status_code == 200
    assert member_client.get(f"/rhythm/{event.pk}/").status_code == 200
    for url in [
        "/rhythm/new/",
        f"/rhythm/{event.pk}/edit/",
        f"/rhythm/{event.pk}/delete/",
        f"/rhythm/{event.pk}/{stamp}/cancel/",
        f"/rhythm/{event.pk}/{stamp}/move/",
    ]:
        assert member_client.get(url).status_code == 403, url
        assert member_client.post(url, FORM).status_code == 403, url
    assert member_client.post(f"/rhythm/{event.pk}/{stamp}/restore/").status_code == 403
    html = member_client.get(f"/rhythm/{event.pk}/").content.decode()
    assert f"/rhythm/{event.pk}/{stamp}/cancel/" not in html
    assert f"/rhythm/{event.pk}/edit/" not in html
    assert RhythmEvent.objects.get().sequence == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/rhythm/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/rhythm/"


def test_organiser_creates_an_event_with_a_preset(organiser_client):
    team = TeamFactory(name="Data")
    response = organiser_client.post(
        "/rhythm/new/", {**FORM, "preset": "first_friday", "team": team.pk, "start_time": "16:00"}
    )
    event = RhythmEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rhythm/{event.pk}/"
    assert (event.rrule, event.starts, event.team, event.timezone) == (
        "FREQ=MONTHLY;BYDAY=1FR",
        utc(2026, 3, 6, 15, 0),
        team,
        "Europe/Amsterdam",
    )


def test_create_form_defaults_to_the_organisers_timezone(organiser_client, organiser):
    organiser.timezone = "America/New_York"
    organiser.save()
    html = organiser_client.get("/rhythm/new/").content.decode()
    assert '<option value="America/New_York" selected>' in html
    assert 'value="weekly_monday"' in html and "First Friday of the month" in html
    assert "Custom rule (RRULE)" in html


def test_custom_rule_errors_show_on_the_form_and_write_nothing(organiser_client):
    response = organiser_client.post(
        "/rhythm/new/", {**FORM, "preset": "custom", "rrule": "FREQ=SOMETIMES"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The recurrence rule is not valid: FREQ=SOMETIMES is not one of DAILY" in html
    assert RhythmEvent.objects.count() == 0
    response = organiser_client.post("/rhythm/new/", {**FORM, "preset": "custom", "rrule": ""})
    assert "Write the rule, or choose one of the presets." in response.content.decode()
    response = organiser_client.post(
        "/rhythm/new/", {**FORM, "preset": "custom", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"}
    )
    assert response.status_code == 302
    assert RhythmEvent.objects.get().rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Unknown timezone “Mars/Olympus”."),
        ({"duration_minutes": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"start_date": "2026-02-30"}, "Enter a valid date."),
        ({"start_date": "9999-12-01"}, "Choose a first day between 1970 and 2200."),
        ({"name": "x" * 200}, "Ensure this value has at most 120 characters (it has 200)."),
        ({"name": "a\x00b"}, "Null characters are not allowed."),
        (
            {"preset": "sometimes"},
            "Select a valid choice. sometimes is not one of the available choices.",
        ),
        (
            {"rrule": "x" * 600, "preset": "custom"},
            "Ensure this value has at most 500 characters (it has 600).",
        ),
    ],
)
def test_bad_form_input_is_a_form_error(organiser_client, changes, message):
    response = organiser_client.post("/rhythm/new/", {**FORM, **changes})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert RhythmEvent.objects.count() == 0


def test_edit_shows_the_preset_and_saves(organiser_client):
    event = rhythm_event(
        rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", start_time=datetime(2000, 1, 1, 9).time()
    )
    response = organiser_client.get(f"/rhythm/{event.pk}/edit/")
    html = response.content.decode()
    assert response.context["form"]["preset"].value() == "weekdays"
    assert (
        '<input type="radio" name="preset" value="weekdays" id="id_preset_2" required checked>'
        in html
    )
    assert 'value="09:00"' in html
    response = organiser_client.post(
        f"/rhythm/{event.pk}/edit/",
        {**FORM, "name": "Kick-off", "preset": "weekdays", "start_time": "09:15"},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.name, event.starts, event.sequence) == ("Kick-off", utc(2026, 3, 2, 8, 15), 1)


def test_delete_asks_then_deletes(organiser_client):
    event = rhythm_event()
    assert (
        "Delete “Weekly Huddle”?"
        in organiser_client.get(f"/rhythm/{event.pk}/delete/").content.decode()
    )
    response = organiser_client.post(f"/rhythm/{event.pk}/delete/")
    assert (response.status_code, response["Location"]) == (302, "/rhythm/")
    assert RhythmEvent.objects.count() == 0


def test_cancel_move_restore_through_the_pages(organiser_client):
    event = rhythm_event(start_date=timezone.localdate())
    first, second = rhythm_event_schedule(event=event, after=timezone.now(), limit=2)
    response = organiser_client.post(
        f"/rhythm/{event.pk}/{first.stamp}/cancel/", {"note": "Holiday"}
    )
    assert response.status_code == 302
    exc = RhythmException.objects.get()
    assert (exc.original_start, exc.cancelled, exc.note) == (first.original_start, True, "Holiday")
    # The organiser (Europe/Berlin) enters their own local time: 14:00 a month later.
    berlin = ZoneInfo("Europe/Berlin")
    day = (second.start + timedelta(days=30)).astimezone(berlin).date()
    response = organiser_client.post(
        f"/rhythm/{event.pk}/{second.stamp}/move/",
        {"new_start": f"{day}T14:00", "new_end": f"{day}T15:00", "note": ""},
    )
    assert response.status_code == 302
    moved = RhythmException.objects.get(original_start=second.original_start)
    assert (moved.new_start, moved.new_end) == (
        datetime(day.year, day.month, day.day, 14, tzinfo=berlin).astimezone(UTC),
        datetime(day.year, day.month, day.day, 15, tzinfo=berlin).astimezone(UTC),
    )
    html = organiser_client.get(f"/rhythm/{event.pk}/").content.decode()
    assert '<span class="badge state-cancelled">Cancelled</span>' in html
    assert '<span class="badge state-proposed">Moved</span>' in html
    assert "— Holiday" in html
    response = organiser_client.post(f"/rhythm/{event.pk}/{first.stamp}/restore/")
    assert response.status_code == 302
    assert list(RhythmException.objects.values_list("original_start", flat=True)) == [
        second.original_start
    ]
    event.refresh_from_db()
    assert event.sequence == 3


def test_move_form_errors(organiser_client):
    event = rhythm_event(start_date=timezone.localdate())
    stamp = next_stamp(event)
    response = organiser_client.post(
        f"/rhythm/{event.pk}/{stamp}/move/",
        {"new_start": "2030-01-01T10:00", "new_end": "2030-01-01T09:00"},
    )
    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
    response = organiser_client.post(
        f"/rhythm/{event.pk}/{stamp}/move/",
        {"new_start": "9999-12-31T23:00", "new_end": "9999-12-31T23:30"},
    )
    assert "Move an occurrence by at most a year." in response.content.decode()
    response = organiser_client.post(
        f"/rhythm/{event.pk}/{stamp}/move/", {"new_start": "yesterday", "new_end": ""}
    )
    assert "Enter a valid date/time." in response.content.decode()
    assert RhythmException.objects.count() == 0


@pytest.mark.parametrize(
    "stamp",
    [
        "20260303T083000Z",
        "nonsense",
        "20261332T083000Z",
        "x" * 40,
        "99991231T235959Z",
        "00010101T000000Z",
    ],
)
def test_a_stamp_that_is_not_an_occurrence_is_404(organiser_client, stamp):
    event = rhythm_event()
    for action in ["cancel", "move"]:
        assert organiser_client.get(f"/rhythm/{event.pk}/{stamp}/{action}/").status_code == 404
    assert organiser_client.post(f"/rhythm/{event.pk}/{stamp}/restore/").status_code == 404
    assert organiser_client.get("/rhythm/999999/").status_code == 404


def test_restore_is_post_only(organiser_client):
    event = rhythm_event(start_date=timezone.localdate())
    assert (
        organiser_client.get(f"/rhythm/{event.pk}/{next_stamp(event)}/restore/").status_code == 405
    )


def test_detail_lists_the_next_eight_occurrences(member_client):
    event = rhythm_event(start_date=date(2026, 1, 5))
    response = member_client.get(f"/rhythm/{event.pk}/")
    occurrences = response.context["occurrences"]
    assert len(occurrences) == 8
    assert occurrences[0].start > timezone.now() - timedelta(minutes=30)
    assert [f"{o.start.astimezone(AMSTERDAM):%a %H:%M}" for o in occurrences] == ["Mon 09:30"] * 8
    assert [(b.start - a.start).days for a, b in itertools.pairwise(occurrences)] in (
        [7] * 7,
        # a daylight-saving change in between makes one gap an hour shorter than a week
        *([7] * k + [6] + [7] * (6 - k) for k in range(7)),
    )


def test_list_and_detail_query_counts_are_constant(organiser_client, django_assert_num_queries):
    today = timezone.localdate()
    events = [
        rhythm_event(name=f"Event {i}", start_date=today, team=TeamFactory()) for i in range(2)
    ]
    with CaptureQueriesContext(connection) as small_list:
        assert organiser_client.get("/rhythm/").status_code == 200
    with CaptureQueriesContext(connection) as small_detail:
        assert organiser_client.get(f"/rhythm/{events[0].pk}/").status_code == 200
    for i in range(8):
        rhythm_event(name=f"More {i}", start_date=today, team=TeamFactory())
    # Exceptions on the detail page: some cancelled, some moved.
    for i, occurrence in enumerate(
        rhythm_event_schedule(event=events[0], after=timezone.now(), limit=8)[1:]
    ):
        if i % 2:
            rhythm_occurrence_cancel(event=events[0], original_start=occurrence.original_start)
        else:
            rhythm_occurrence_move(
                event=events[0],
                original_start=occurrence.original_start,
                new_start=occurrence.start + timedelta(hours=2),
                new_end=occurrence.start + timedelta(hours=3),
            )
    with django_assert_num_queries(len(small_list.captured_queries)):
        assert organiser_client.get("/rhythm/").status_code == 200
    with django_assert_num_queries(len(small_detail.captured_queries)):
        assert organiser_client.get(f"/rhythm/{events[0].pk}/").status_code == 200


def test_list_shows_company_events_first_with_rule_team_and_next_occurrence(member_client):
    today = timezone.localdate()
    rhythm_event(name="Zebra sync", team=TeamFactory(name="Alpha"), start_date=today)
    rhythm_event(name="Weekly Huddle", start_date=today, timezone="Europe/Berlin")
    rhythm_event(
        name="Figure Friday",
        rrule="FREQ=MONTHLY;BYDAY=1FR",
        start_date=today,
        start_time=datetime(2000, 1, 1, 16).time(),
        timezone="Europe/Berlin",
    )
    response = member_client.get("/rhythm/")
    rows = response.context["rows"]
    assert [(r["event"].name, r["rule"]) for r in rows] == [
        ("Figure Friday", "First Friday of the month"),
        ("Weekly Huddle", "Every Monday"),
        ("Zebra sync", "Every Monday"),
    ]
    assert [
        r["next"].start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M") for r in rows
    ] == [
        "Fri 16:00",
        "Mon 09:30",
        "Mon 09:30",
    ]
    html = response.content.decode()
    assert "Every Monday, 09:30 for 30 min (Europe/Berlin)" in html
    assert "Team Alpha" in html
    assert "New rhythm event" not in html
