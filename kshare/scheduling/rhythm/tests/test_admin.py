import pytest

from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.scheduling.rhythm.tests.factories import rhythm_event

pytestmark = pytest.mark.django_db


def form_data(event: RhythmEvent, **changes) -> dict:
    data = {
        "name": event.name,
        "description": "",
        "rrule": event.rrule,
        "starts_0": "2026-03-02",
        "starts_1": "09:30:00",
        "duration_minutes": event.duration_minutes,
        "timezone": event.timezone,
        "team": "",
        "location": "",
        "created_by": "",
        "exceptions-TOTAL_FORMS": "0",
        "exceptions-INITIAL_FORMS": "0",
        "exceptions-MIN_NUM_FORMS": "0",
        "exceptions-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_admin_refuses_a_bad_rule_and_timezone(client, admin_person):
    client.force_login(admin_person)
    event = rhythm_event()
    url = f"/admin/scheduling/rhythmevent/{event.pk}/change/"
    response = client.post(url, form_data(event, rrule="FREQ=SOMETIMES"))
    assert response.status_code == 200
    assert "The recurrence rule is not valid: FREQ=SOMETIMES" in response.content.decode()
    response = client.post(url, form_data(event, timezone="Mars/Olympus"))
    assert "Unknown timezone “Mars/Olympus”." in response.content.decode()
    event.refresh_from_db()
    assert (event.rrule, event.timezone, event.sequence) == (
        "FREQ=WEEKLY;BYDAY=MO",
        "Europe/Amsterdam",
        0,
    )


def test_admin_change_normalises_the_rule_and_raises_the_sequence(client, admin_person):
    client.force_login(admin_person)
    event = rhythm_event()
    response = client.post(
        f"/admin/scheduling/rhythmevent/{event.pk}/change/",
        form_data(event, rrule="freq=weekly;byday=mo;until=20261231"),
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.rrule, event.sequence) == ("FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T225959Z", 1)


def test_admin_refuses_a_start_out_of_range(client, admin_person):
    client.force_login(admin_person)
    event = rhythm_event()
    response = client.post(
        f"/admin/scheduling/rhythmevent/{event.pk}/change/", form_data(event, starts_0="9999-12-31")
    )
    assert response.status_code == 200
    assert "Choose a start between 1970 and 2200." in response.content.decode()
