"""A programme's cadence: rules, the form (presets, custom RRULE, timezones), next slots,
reminder settings and the programme page."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from kshare.core import recurrence
from kshare.feedback.models import ProspectiveHost
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.forms import ProgrammeForm
from kshare.programmes.models import Programme
from kshare.programmes.reminder_offsets import OffsetsError, offsets_parse
from kshare.programmes.selectors import programme_reminder_offsets
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.cadence import programme_cadence_slots
from kshare.scheduling.rhythm.models import ClosureDay
from kshare.sessions.models import State
from kshare.sessions.tests.factories import SessionFactory
from kshare.topics.models import TopicRequest, TopicVote

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
NYC = zoneinfo.ZoneInfo("America/New_York")
FORTNIGHTLY_TH = "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"


# --- Reminder settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("7,1", [7, 1]), (" 1 , 7 ", [7, 1]), ("", []), ("3;2", [3, 2])]
)
def test_reminder_lists_are_parsed_largest_first(text, expected):
    assert offsets_parse(text, unit="days", maximum=60) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7,,1", "Separate the days with single commas, e.g. 7,1."),
        ("a week", "“a week” is not a whole number of days."),
        ("1.5", "“1.5” is not a whole number of days."),
        ("-1", "“-1” is not a whole number of days."),
        ("0", "Each value must be between 1 and 60 days; “0” is not."),
        ("61", "Each value must be between 1 and 60 days; “61” is not."),
        ("7,7", "7 days is listed twice."),
        ("1,2,3,4,5,6,7", "List at most 6 reminders."),
        ("٣", "“٣” is not a whole number of days."),
    ],
)
def test_bad_reminder_lists_are_refused_with_a_message(text, message):
    with pytest.raises(OffsetsError) as raised:
        offsets_parse(text, unit="days", maximum=60)
    assert str(raised.value) == message


def test_reminder_offsets_in_minutes_for_the_reminders():
    programme = Programme(host_reminder_days="7,1", invitee_reminder_hours="24,1", nudge_days=5)
    assert programme_reminder_offsets(programme) == {
        "host_prep": [10080, 1440],
        "invitee": [1440, 60],
        "nudge": [7200],
    }
    off = Programme(host_reminder_days="", invitee_reminder_hours="2", nudge_days=0)
    assert programme_reminder_offsets(off) == {"host_prep": [], "invitee": [120], "nudge": []}
    broken = Programme(host_reminder_days="soon", invitee_reminder_hours="24,1", nudge_days=5)
    assert programme_reminder_offsets(broken)["host_prep"] == [10080, 1440]


# --- The form --------------------------------------------------------------------------------


def _post(**overrides):
    data = {
        "name": "Data Guild",
        "lead_time_days": "14",
        "feedback_open_days": "14",
        "visibility": "public",
        "cadence_preset": "fortnightly",
        "cadence_first": "2026-03-05T16:00",
        "cadence_timezone": "Europe/Amsterdam",
        "cadence_minutes": "45",
        "cadence_rrule": "",
        "host_reminder_days": "7,1",
        "invitee_reminder_hours": "24,1",
        "nudge_days": "5",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_every_second_thursday_is_stored_as_an_rrule_and_utc(client):
    # The organiser lives in New York; 16:00 is read in the cadence's timezone (Amsterdam).
    client.force_login(OrganiserFactory(timezone="America/New_York"))
    response = client.post("/programmes/new/", _post())
    assert response.status_code == 302
    programme = Programme.objects.get(name="Data Guild")
    assert (
        programme.cadence_rrule,
        programme.cadence_starts,
        programme.cadence_timezone,
        programme.cadence_minutes,
        programme.cadence,
    ) == (
        FORTNIGHTLY_TH,
        datetime(2026, 3, 5, 15, tzinfo=UTC),
        "Europe/Amsterdam",
        45,
        "every second Thursday, 16:00 (Europe/Amsterdam)",
    )


@pytest.mark.django_db
def test_custom_rule_and_reminder_settings_are_saved(client):
    organiser = OrganiserFactory()
    programme = ProgrammeFactory(cadence="Monthly")
    programme.organisers.add(organiser)
    client.force_login(organiser)
    response = client.post(
        f"/programmes/{programme.slug}/edit/",
        _post(
            name=programme.name,
            cadence="Monthly",
            cadence_preset="custom",
            cadence_rrule="rrule:freq=monthly;byday=-1fr",
            host_reminder_days="3, 10",
            invitee_reminder_hours="",
            nudge_days="0",
        ),
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (
        programme.cadence_rrule,
        programme.cadence,
        programme.host_reminder_days,
        programme.invitee_reminder_hours,
        programme.nudge_days,
    ) == ("FREQ=MONTHLY;BYDAY=-1FR", "Monthly", "10,3", "", 0)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"cadence_preset": "custom", "cadence_rrule": "FREQ=SOMETIMES"},
            "cadence_rrule",
            "The recurrence rule is not valid: FREQ=SOMETIMES is not one of "
            "DAILY, WEEKLY, MONTHLY, YEARLY (a series happens at most once a day).",
        ),
        (
            {"cadence_preset": "custom"},
            "cadence_rrule",
            "The recurrence rule is empty; give one such as FREQ=WEEKLY;BYDAY=MO.",
        ),
        ({"cadence_first": ""}, "cadence_first", "Give the date and time of the first slot."),
        ({"cadence_first": "Thursday"}, "cadence_first", "Enter a valid date/time."),
        (
            {"cadence_first": "9999-12-31T23:00", "cadence_timezone": "America/Los_Angeles"},
            "cadence_first",
            "Choose a first slot between 2000 and 2100.",
        ),
        (
            {"cadence_first": "0001-01-01T00:00", "cadence_timezone": "Asia/Tokyo"},
            "cadence_first",
            "Choose a first slot between 2000 and 2100.",
        ),
        (
            {"cadence_timezone": "Mars/Olympus"},
            "cadence_timezone",
            "Unknown timezone “Mars/Olympus”. Choose one from the list, such as Europe/Berlin.",
        ),
        (
            {"cadence_minutes": "4"},
            "cadence_minutes",
            "Ensure this value is greater than or equal to 5.",
        ),
        (
            {"host_reminder_days": "7,x"},
            "host_reminder_days",
            "“x” is not a whole number of days.",
        ),
        (
            {"invitee_reminder_hours": "400"},
            "invitee_reminder_hours",
            "Each value must be between 1 and 336 hours; “400” is not.",
        ),
        ({"nudge_days": "61"}, "nudge_days", "Ensure this value is less than or equal to 60."),
        (
            {"cadence_preset": "daily"},
            "cadence_preset",
            "Select a valid choice. daily is not one of the available choices.",
        ),
    ],
)
@pytest.mark.django_db
def test_bad_cadence_and_reminder_input_is_a_form_error(client, overrides, field, message):
    client.force_login(OrganiserFactory())
    response = client.post("/programmes/new/", _post(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Programme.objects.filter(name="Data Guild").exists()


@pytest.mark.django_db
def test_a_german_reader_gets_the_recurrence_error_in_german():
    with translation.override("de"):
        form = ProgrammeForm(_post(cadence_preset="custom", cadence_rrule="FREQ=SOMETIMES"))
        assert form.errors["cadence_rrule"] == [
            "Die Wiederholungsregel ist ungültig: FREQ=SOMETIMES ist nicht eines von DAILY, "
            "WEEKLY, MONTHLY, YEARLY (eine Serie findet höchstens einmal am Tag statt)."
        ]


@pytest.mark.django_db
def test_edit_form_shows_the_cadence_in_its_own_timezone(client):
    organiser = OrganiserFactory(timezone="America/New_York")
    programme = ProgrammeFactory(
        cadence_rrule=FORTNIGHTLY_TH,
        cadence_starts=datetime(2026, 3, 5, 15, tzinfo=UTC),
        cadence_timezone="Europe/Amsterdam",
    )
    programme.organisers.add(organiser)
    client.force_login(organiser)
    form = client.get(f"/programmes/{programme.slug}/edit/").context["form"]
    assert form["cadence_preset"].value() == "fortnightly"
    assert form["cadence_first"].value() == datetime(2026, 3, 5, 16)
    assert 'value="2026-03-05T16:00"' in str(form["cadence_first"])


@pytest.mark.django_db
def test_choosing_no_cadence_clears_it_and_an_old_form_keeps_it(client):
    organiser = OrganiserFactory()
    programme = ProgrammeFactory(
        cadence_rrule=FORTNIGHTLY_TH, cadence_starts=datetime(2026, 3, 5, 15, tzinfo=UTC)
    )
    programme.organisers.add(organiser)
    client.force_login(organiser)
    old_form = {"name": programme.name, "lead_time_days": "14", "visibility": "public"}
    assert client.post(f"/programmes/{programme.slug}/edit/", old_form).status_code == 302
    programme.refresh_from_db()
    assert (programme.cadence_rrule, programme.host_reminder_days) == (FORTNIGHTLY_TH, "7,1")
    response = client.post(
        f"/programmes/{programme.slug}/edit/", _post(name=programme.name, cadence_preset="")
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (programme.cadence_rrule, programme.cadence_starts) == ("", None)


# --- Next slots ------------------------------------------------------------------------------


def _fortnightly(**fields):
    return ProgrammeFactory(
        cadence_rrule=FORTNIGHTLY_TH,
        cadence_starts=datetime(2030, 1, 3, 16, tzinfo=AMS),
        cadence_timezone="Europe/Amsterdam",
        cadence_minutes=60,
        **fields,
    )


@pytest.mark.django_db
def test_cadence_slots_carry_the_session_in_them(django_assert_num_queries):
    programme = _fortnightly()
    in_slot = SessionFactory(
        programme=programme,
        state=State.SCHEDULED,
        start=datetime(2030, 1, 17, 16, 15, tzinfo=AMS),
        end=datetime(2030, 1, 17, 17, tzinfo=AMS),
    )
    SessionFactory(  # cancelled: the slot stays open
        programme=programme,
        state=State.CANCELLED,
        start=datetime(2030, 1, 31, 16, tzinfo=AMS),
        end=datetime(2030, 1, 31, 17, tzinfo=AMS),
    )
    SessionFactory(  # another programme
        state=State.SCHEDULED,
        start=datetime(2030, 2, 14, 16, tzinfo=AMS),
        end=datetime(2030, 2, 14, 17, tzinfo=AMS),
    )
    with django_assert_num_queries(1):
        slots = programme_cadence_slots(
            programme=programme, after=datetime(2030, 1, 10, tzinfo=UTC), count=3
        )
    assert [(s.start.astimezone(AMS).date().isoformat(), s.session) for s in slots] == [
        ("2030-01-17", in_slot),
        ("2030-01-31", None),
        ("2030-02-14", None),
    ]
    assert [s.end - s.start for s in slots] == [timedelta(hours=1)] * 3


@pytest.mark.django_db
def test_no_cadence_no_slots():
    assert programme_cadence_slots(programme=ProgrammeFactory(), after=timezone.now()) == []


@pytest.fixture
def no_closure_days(db):
    """The page tests count open slots from "now": without this they would change around
    Christmas (the default closure days). Days off are tested below on their own."""
    ClosureDay.objects.all().delete()


def _weekly_programme():
    """A weekly cadence from tomorrow 16:00 Amsterdam: four slots in the next 28 days."""
    first = timezone.now().astimezone(AMS) + timedelta(days=1)
    first = first.replace(hour=16, minute=0, second=0, microsecond=0)
    return ProgrammeFactory(
        name="Weekly guild",
        cadence_rrule=recurrence.preset_rule("weekly", first=first),
        cadence_starts=first,
        cadence_timezone="Europe/Amsterdam",
    ), first


@pytest.mark.django_db
def test_programme_page_shows_next_slots_with_open_ones_marked(client, no_closure_days):
    programme, first = _weekly_programme()
    session = SessionFactory(
        programme=programme, state=State.SCHEDULED, start=first, title="Typing Python"
    )
    hidden = SessionFactory(
        programme=programme,
        state=State.SCHEDULED,
        start=first + timedelta(days=7),
        visibility="invite_only",
        title="Secret",
    )
    client.force_login(PersonFactory(timezone="America/New_York"))
    response = client.get(f"/programmes/{programme.slug}/")
    rows = response.context["cadence_slots"]
    assert [(r["slot"].session, r["visible"]) for r in rows] == [
        (session, True),
        (hidden, False),
    ] + [(None, False)] * 4
    html = response.content.decode()
    assert html.count('<span class="badge">Open</span>') == 4
    assert "Taken by a session you cannot see." in html
    assert "Secret" not in html
    # Shown in the viewer's timezone (16:00 Amsterdam is 10:00 or 11:00 in New York).
    assert first.astimezone(NYC).strftime("%H:%M") in ("10:00", "11:00")
    assert f"{first.astimezone(NYC):%-d %B %Y, %H:%M}</time>" in html
    assert "Prospective hosts" not in html  # not an organiser


@pytest.mark.django_db
def test_organisers_see_who_could_host_and_the_most_wanted_topics(client, no_closure_days):
    programme, _ = _weekly_programme()
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    ProspectiveHost.objects.create(
        programme=programme,
        person=PersonFactory(display_name="Hannah Host"),
        answer="yes",
        topics="dbt",
    )
    ProspectiveHost.objects.create(
        programme=programme,
        person=PersonFactory(display_name="Dan Declined"),
        answer="maybe",
        status=ProspectiveHost.Status.DECLINED,
    )
    wanted = TopicRequest.objects.create(title="Intro to dbt", requester=PersonFactory())
    TopicVote.objects.create(request=wanted, person=PersonFactory())
    TopicRequest.objects.create(title="Closed one", requester=PersonFactory(), status="closed")
    client.force_login(organiser)
    response = client.get(f"/programmes/{programme.slug}/")
    assert len(response.context["open_soon"]) == 4  # four weekly slots in 28 days
    assert [p.person.display_name for p in response.context["prospective_hosts"]] == ["Hannah Host"]
    assert [(r.title, r.n_votes) for r in response.context["topic_requests"]] == [
        ("Intro to dbt", 1)
    ]
    html = response.content.decode()
    assert "4 open slots in the next four weeks" in html
    assert "Hannah Host" in html and "Dan Declined" not in html


@pytest.mark.django_db
def test_programme_page_query_count_does_not_grow_with_slots_hosts_or_topics(
    client, no_closure_days
):
    programme, first = _weekly_programme()
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    client.force_login(organiser)

    def add(n):
        for i in range(n):
            ProspectiveHost.objects.create(
                programme=programme, person=PersonFactory(), answer="yes"
            )
            TopicRequest.objects.create(title=f"Topic {i}", requester=PersonFactory())
        SessionFactory(
            programme=programme,
            state=State.SCHEDULED,
            start=first + timedelta(days=7 * (n // 4)),
        )

    add(1)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/programmes/{programme.slug}/")
    add(8)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/programmes/{programme.slug}/")
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_a_slot_on_a_day_off_is_shown_as_such_and_is_no_open_slot(client, no_closure_days):
    programme, first = _weekly_programme()
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    second = (first + timedelta(days=7)).astimezone(AMS).date()
    ClosureDay.objects.create(month=second.month, day=second.day, year=second.year)
    client.force_login(organiser)

    response = client.get(f"/programmes/{programme.slug}/")

    assert [r["day_off"] for r in response.context["cadence_slots"]] == [False, True] + [False] * 4
    assert len(response.context["open_soon"]) == 3
    html = response.content.decode()
    assert html.count('<span class="badge">Open</span>') == 5
    assert html.count('<span class="badge">Day off</span>') == 1
    assert "3 open slots in the next four weeks" in html
