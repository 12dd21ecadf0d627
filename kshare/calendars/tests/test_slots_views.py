"""The slot finder on a session's schedule page and at /calendar/slots/<pk>/."""

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.sessions.models import State
from kshare.sessions.tests.factories import InvitationFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def host():
    return PersonFactory(email="host@example.com", timezone="Europe/Amsterdam")


@pytest.fixture
def session(host):
    return SessionFactory(title="Typing Python", host=host)


def test_schedule_page_shows_proposed_slots_in_the_organisers_timezone(client, host, session):
    client.force_login(host)
    response = client.get(f"/sessions/{session.pk}/schedule/")
    assert response.status_code == 200
    slots = response.context["slots"]
    assert len(slots) == 10
    first = slots[0]
    assert str(first["start"].tzinfo) == "Europe/Amsterdam"
    lead = timezone.localdate() + timedelta(days=14)
    assert first["start"].date() >= lead
    html = response.content.decode()
    assert html.count(">Choose this slot<") == 10
    assert f'name="start" value="{first["start_input"]}"' in html
    assert "Find a slot" in html


def test_choose_this_slot_posts_to_the_schedule_action_and_stores_utc(client, host, session):
    client.force_login(host)
    row = client.get(f"/sessions/{session.pk}/schedule/").context["slots"][0]
    response = client.post(
        f"/sessions/{session.pk}/schedule/",
        {"start": row["start_input"], "end": row["end_input"]},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state == State.SCHEDULED
    assert (session.start, session.end) == (row["slot"].start, row["slot"].end)
    assert session.start.tzinfo == UTC


def test_slot_finder_is_only_for_people_who_may_edit_the_session(client, session):
    client.force_login(PersonFactory())
    assert client.get(f"/calendar/slots/{session.pk}/").status_code == 403
    invisible = SessionFactory(visibility="invite_only")
    assert client.get(f"/calendar/slots/{invisible.pk}/").status_code == 404
    assert client.get("/calendar/slots/999999/").status_code == 404


def test_slot_finder_needs_signing_in(client, session):
    response = client.get(f"/calendar/slots/{session.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/signin/?next=/calendar/slots/{session.pk}/"


def _search(**overrides):
    start = timezone.localdate() + timedelta(days=20)
    data = {
        "after": start.isoformat(),
        "before": (start + timedelta(days=13)).isoformat(),
        "minutes": "60",
        "plan_for": "invited",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"before": "2020-01-01"}, "before", "The end of the window must not be before its start."),
        ({"after": "2020-01-01", "before": "2020-01-05"}, "before", "This window is in the past."),
        ({"minutes": "2"}, "minutes", "Ensure this value is greater than or equal to 5."),
        ({"minutes": "600"}, "minutes", "Ensure this value is less than or equal to 480."),
        ({"after": "tomorrow"}, "after", "Enter a valid date."),
        ({"plan_for": "team"}, "team", "Choose the team to plan for."),
        (
            {"plan_for": "team", "team": "999999"},
            "team",
            "There is no such team. Choose one from the list.",
        ),
        (
            {"plan_for": "boss"},
            "plan_for",
            "Select a valid choice. boss is not one of the available choices.",
        ),
    ],
)
def test_bad_searches_are_form_errors(client, host, session, overrides, field, message):
    client.force_login(host)
    response = client.get(f"/calendar/slots/{session.pk}/", _search(**overrides))
    assert response.status_code == 200
    assert response.context["slot_form"].errors[field] == [message]
    assert response.context["slots"] == []


def test_a_window_longer_than_eight_weeks_is_refused(client, host, session):
    client.force_login(host)
    start = timezone.localdate() + timedelta(days=1)
    response = client.get(
        f"/calendar/slots/{session.pk}/",
        _search(after=start.isoformat(), before=(start + timedelta(days=56)).isoformat()),
    )
    assert response.context["slot_form"].errors["before"] == ["Search at most 8 weeks at a time."]
    response = client.get(
        f"/calendar/slots/{session.pk}/",
        _search(after=start.isoformat(), before=(start + timedelta(days=55)).isoformat()),
    )
    assert response.context["slot_form"].errors == {}


def test_a_window_far_in_the_future_is_refused_without_an_error_page(client, host, session):
    client.force_login(host)
    response = client.get(
        f"/calendar/slots/{session.pk}/", _search(after="9999-12-30", before="9999-12-31")
    )
    assert response.context["slot_form"].errors["after"] == ["Search within the next two years."]


def test_htmx_gets_only_the_finder_and_without_htmx_a_whole_page(client, host, session):
    client.force_login(host)
    url = f"/calendar/slots/{session.pk}/"
    partial = client.get(url, _search(), headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section class="card" id="slot-finder"')
    assert "<html" not in partial
    page = client.get(url, _search()).content.decode()
    assert "<html" in page
    assert page.count(">Choose this slot<") == 10


def test_planning_for_a_team_or_everyone_counts_those_people(client, host, session):
    team = TeamFactory(name="Data")
    PersonFactory.create_batch(3, team=team, timezone="America/New_York")
    PersonFactory(timezone="Asia/Tokyo")
    PersonFactory(team=team, is_active=False)
    client.force_login(host)
    url = f"/calendar/slots/{session.pk}/"
    response = client.get(url, _search(plan_for="team", team=str(team.pk)))
    assert response.context["slot_planned_for"] == "the Data team and the hosts"
    assert response.context["slots"][0]["slot"].total == 4  # 3 + the host
    response = client.get(url, _search(plan_for="everyone"))
    assert response.context["slot_planned_for"] == "everyone"
    assert response.context["slots"][0]["slot"].total == 5  # 3 + Tokyo + the host
    response = client.get(url, _search())
    assert response.context["slots"][0]["slot"].total == 1  # the host


def test_no_js_search_reloads_the_schedule_page_with_the_results(client, host, session):
    client.force_login(host)
    response = client.get(f"/sessions/{session.pk}/schedule/", _search(minutes="90"))
    rows = response.context["slots"]
    assert {row["slot"].end - row["slot"].start for row in rows} == {timedelta(minutes=90)}
    assert response.context["form"].errors == {}


def test_slot_page_query_count_does_not_grow_with_invitees(
    client, host, session, django_assert_num_queries
):
    client.force_login(host)
    url = f"/calendar/slots/{session.pk}/"
    InvitationFactory.create_batch(2, session=session)
    client.get(url, _search())  # warm caches (content types, sessions)
    with django_assert_num_queries(9) as few:  # 8, and the closure days since issue 14
        client.get(url, _search())
    InvitationFactory.create_batch(10, session=session)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url, _search())


@pytest.mark.parametrize(
    ("tz", "entered", "stored"),
    [
        # Amsterdam: winter time (UTC+1) until Sunday 31 March 2030, then summer time (UTC+2).
        ("Europe/Amsterdam", "2030-03-29T09:00", datetime(2030, 3, 29, 8, tzinfo=UTC)),
        ("Europe/Amsterdam", "2030-04-01T09:00", datetime(2030, 4, 1, 7, tzinfo=UTC)),
        # New York: summer time (UTC-4) from Sunday 10 March 2030.
        ("America/New_York", "2030-03-08T09:00", datetime(2030, 3, 8, 14, tzinfo=UTC)),
        ("America/New_York", "2030-03-11T09:00", datetime(2030, 3, 11, 13, tzinfo=UTC)),
    ],
)
def test_schedule_form_reads_times_in_the_organisers_timezone_and_stores_utc(
    client, tz, entered, stored
):
    host = PersonFactory(timezone=tz)
    session = SessionFactory(host=host)
    client.force_login(host)
    response = client.post(f"/sessions/{session.pk}/schedule/", {"start": entered, "end": ""})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.start == stored
    assert session.end == stored + timedelta(minutes=45)


def test_proposed_slots_are_shown_and_chosen_in_the_viewers_timezone(client):
    host = PersonFactory(timezone="America/New_York")
    session = SessionFactory(host=host)
    client.force_login(host)
    rows = client.get(f"/calendar/slots/{session.pk}/", _search()).context["slots"]
    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert {str(row["start"].tzinfo) for row in rows} == {"America/New_York"}
    # The host alone: 09:00-17:30 New York time on weekdays.
    assert all(time(9) <= row["start"].time() and row["end"].time() <= time(17, 30) for row in rows)
    assert rows[0]["start_input"] == rows[0]["slot"].start.astimezone(new_york).strftime(
        "%Y-%m-%dT%H:%M"
    )


def test_the_team_chosen_in_the_slot_finder_is_ticked_on_the_invite_page(client, host, session):
    data_team, other = TeamFactory(name="Data"), TeamFactory(name="Web")
    PersonFactory.create_batch(2, team=data_team)
    client.force_login(host)
    page = client.get(
        f"/sessions/{session.pk}/schedule/", _search(plan_for="team", team=str(data_team.pk))
    )
    row = page.context["slots"][0]
    html = page.content.decode()
    assert html.count(f'<input type="hidden" name="invite_team" value="{data_team.pk}">') == 10
    response = client.post(
        f"/sessions/{session.pk}/schedule/",
        {"start": row["start_input"], "end": row["end_input"], "invite_team": str(data_team.pk)},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/invite/?team={data_team.pk}"
    invite = client.get(response["Location"])
    form = invite.context["form"]
    assert form["teams"].value() == [data_team.pk]
    html = invite.content.decode()
    assert html.count(" checked") == 1
    assert [str(m) for m in invite.context["messages"]] == [
        "Scheduled. Now invite the people the slot was found for."
    ]
    # Planned for invited people or everyone: no team comes along; an unknown team is ignored.
    for query in ("?team=99999", "?team=x", ""):
        blank = client.get(f"/sessions/{session.pk}/invite/{query}")
        assert blank.context["form"]["teams"].value() is None
        assert " checked" not in blank.content.decode()
    assert other.pk not in form["teams"].value()
