import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.people.tests.factories import OrganiserFactory, PersonFactory, TeamFactory
from kshare.programmes.models import Programme, Visibility
from kshare.programmes.services import programme_default
from kshare.programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_default_programme_is_created_once():
    first = programme_default()
    assert programme_default() == first
    assert (first.name, first.lead_time_days, first.is_default) == ("Knowledge Sharing", 14, True)
    assert Programme.objects.count() == 1


def test_organiser_creates_programme_and_becomes_its_organiser(client, organiser):
    client.force_login(organiser)
    response = client.post(
        "/programmes/new/",
        {
            "name": "Data Guild",
            "cadence": "Monthly",
            "lead_time_days": "21",
            "feedback_open_days": "14",
            "visibility": "public",
        },
    )
    programme = Programme.objects.get(name="Data Guild")
    assert response["Location"] == "/programmes/data-guild/"
    assert (programme.slug, programme.lead_time_days) == ("data-guild", 21)
    assert list(programme.organisers.all()) == [organiser]


def test_members_cannot_create_or_edit_programmes(member_client):
    programme = ProgrammeFactory()
    assert member_client.get("/programmes/new/").status_code == 403
    assert member_client.get(f"/programmes/{programme.slug}/edit/").status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        (
            {"lead_time_days": "-1"},
            "lead_time_days",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"lead_time_days": "400"},
            "lead_time_days",
            "Ensure this value is less than or equal to 365.",
        ),
        (
            {"visibility": "teams"},
            "teams",
            "Choose at least one team, or open the programme to everyone.",
        ),
        ({"name": "knowledge sharing"}, "name", "A programme with this name exists already."),
    ],
)
def test_programme_form_rejects_bad_input(client, organiser, overrides, field, message):
    programme_default()
    client.force_login(organiser)
    data = {
        "name": "Guild",
        "lead_time_days": "14",
        "feedback_open_days": "14",
        "visibility": "public",
    }
    data.update(overrides)
    response = client.post("/programmes/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]


def test_team_programme_is_hidden_from_other_teams(client):
    red, blue = TeamFactory(name="Red", slug="red"), TeamFactory(name="Blue", slug="blue")
    guild = ProgrammeFactory(name="Red guild", visibility=Visibility.TEAMS)
    guild.teams.set([red])
    client.force_login(PersonFactory(team=blue))
    assert client.get(f"/programmes/{guild.slug}/").status_code == 404
    assert "Red guild" not in client.get("/programmes/").content.decode()
    client.force_login(PersonFactory(team=red))
    assert client.get(f"/programmes/{guild.slug}/").status_code == 200


def test_programme_organiser_edits(client):
    organiser = OrganiserFactory()
    programme = ProgrammeFactory()
    programme.organisers.add(organiser)
    client.force_login(organiser)
    response = client.post(
        f"/programmes/{programme.slug}/edit/",
        {
            "name": "Renamed",
            "lead_time_days": "10",
            "feedback_open_days": "7",
            "visibility": "public",
            "feedback_anonymous": "on",
        },
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (
        programme.name,
        programme.lead_time_days,
        programme.feedback_open_days,
        programme.feedback_anonymous,
    ) == ("Renamed", 10, 7, True)


def test_programme_list_query_count_is_constant(member_client, django_assert_num_queries):
    for _ in range(3):
        ProgrammeFactory().organisers.add(OrganiserFactory())
    with CaptureQueriesContext(connection) as small:
        assert member_client.get("/programmes/").status_code == 200
    for _ in range(30):
        ProgrammeFactory().organisers.add(OrganiserFactory(), OrganiserFactory())
    with django_assert_num_queries(len(small.captured_queries)):
        assert member_client.get("/programmes/").status_code == 200
