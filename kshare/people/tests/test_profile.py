import pytest
from django.urls import reverse

from kshare.ideas.tests.factories import AreaIdeaFactory, IdeaVoteFactory
from kshare.people import services
from kshare.people.models import Skill
from kshare.people.tests.factories import PersonFactory, SkillFactory, TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import State, Visibility
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.tags.tests.factories import TagFactory


@pytest.fixture
def profile_person(db):
    return PersonFactory(
        display_name="Grace Hopper", team=TeamFactory(name="Compilers"), timezone="America/New_York"
    )


def _edit(client, **changes):
    data = {
        "display_name": "Mia Member",
        "team": "",
        "timezone": "Europe/Berlin",
        "bio": "",
        "interests_text": "",
        "skills_text": "",
    }
    data.update(changes)
    return client.post(reverse("people:edit_profile"), data)


def test_profile_shows_initials_team_timezone_skills_and_interests(member_client, profile_person):
    SkillFactory(person=profile_person, tag=TagFactory(name="COBOL", slug="cobol"), level=3)
    profile_person.interests.add(TagFactory(name="Compilers", slug="compilers"))

    response = member_client.get(reverse("people:profile", args=[profile_person.pk]))

    assert response.status_code == 200
    page = response.text
    assert '<span class="avatar avatar-lg" aria-hidden="true">GH</span>' in page
    assert "<h1>Grace Hopper</h1>" in page
    assert "<span>Compilers</span>" in page
    assert "Timezone: America/New_York" in page
    assert '<span class="chip">COBOL · Expert</span>' in page
    assert [t.name for t in response.context["person"].interests.all()] == ["Compilers"]


def test_profile_lists_only_sessions_the_viewer_may_see(member_client, profile_person):
    public = ScheduledSessionFactory(title="Open talk", host=profile_person)
    secret = ScheduledSessionFactory(
        title="Secret talk", host=profile_person, visibility=Visibility.INVITE_ONLY
    )
    SessionFactory(title="Cancelled talk", host=profile_person, state=State.CANCELLED)
    attended = PastSessionFactory(title="Attended talk")
    AttendanceFactory(session=attended, person=profile_person)

    response = member_client.get(reverse("people:profile", args=[profile_person.pk]))

    assert response.context["hosted"] == [public]
    assert response.context["attended"] == [attended]
    assert "Secret talk" not in response.text
    assert secret.pk is not None


def test_profile_of_unknown_or_inactive_person_is_404(member_client, db):
    inactive = PersonFactory(is_active=False)

    assert member_client.get(reverse("people:profile", args=[inactive.pk])).status_code == 404
    assert member_client.get(reverse("people:profile", args=[999999])).status_code == 404


def _profile_world(person, n: int) -> None:
    programme = ProgrammeFactory()
    for i in range(n):
        tag = TagFactory(name=f"skill {n}-{i}", slug=f"skill-{n}-{i}")
        SkillFactory(person=person, tag=tag, level=i % 3 + 1)
        person.interests.add(tag)
        ScheduledSessionFactory(programme=programme, host=person)
        AttendanceFactory(person=person, session=PastSessionFactory(programme=programme))
        idea = AreaIdeaFactory(author=person)
        IdeaVoteFactory(idea=idea)


@pytest.mark.parametrize("rows", [10, 100])
def test_profile_query_count_does_not_grow_with_rows(
    member_client, db, rows, django_assert_num_queries
):
    person = PersonFactory()
    _profile_world(person, rows)

    # session + user, person + team, interests, skills + tags, hosted, attended, ideas
    with django_assert_num_queries(8):
        response = member_client.get(reverse("people:profile", args=[person.pk]))

    assert response.status_code == 200
    assert len(response.context["person"].skills.all()) == rows
    assert len(response.context["hosted"]) == min(rows, 20)
    assert len(response.context["ideas"]) == min(rows, 20)


def test_edit_profile_saves_fields_skills_and_interests(member_client, person):
    team = TeamFactory(name="Data")

    response = _edit(
        member_client,
        display_name="  Mia   M. ",
        team=team.pk,
        timezone="Asia/Kolkata",
        bio="I like graphs.",
        interests_text="ML, data; Data",
        skills_text="python: 3\nSQL: 1\n\npandas",
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("people:profile", args=[person.pk])
    person.refresh_from_db()
    assert (person.display_name, person.team, person.timezone, person.bio) == (
        "Mia M.",
        team,
        "Asia/Kolkata",
        "I like graphs.",
    )
    assert sorted(person.interests.values_list("name", flat=True)) == ["ML", "data"]
    assert sorted(Skill.objects.filter(person=person).values_list("tag__slug", "level")) == [
        ("pandas", 2),
        ("python", 3),
        ("sql", 1),
    ]


def test_edit_profile_form_shows_current_values(member_client, person):
    services.skills_set(person=person, skills=[("python", 3), ("sql", 1)])

    form = member_client.get(reverse("people:edit_profile")).context["form"]

    assert form.initial["skills_text"] == "python: 3\nsql: 1"
    assert form.initial["timezone"] == "Europe/Berlin"


def test_edit_profile_refuses_unknown_timezone(member_client, person):
    response = _edit(member_client, timezone="Mars/Olympus")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "timezone": [
            "Unknown timezone “Mars/Olympus”. Choose one from the list, such as Europe/Berlin."
        ]
    }
    person.refresh_from_db()
    assert person.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("skills_text", "message"),
    [
        (
            "python: 4",
            "The level of “python” must be 1, 2 or 3 (1 basic, 2 working, 3 expert); got “4”.",
        ),
        (
            "python: 0",
            "The level of “python” must be 1, 2 or 3 (1 basic, 2 working, 3 expert); got “0”.",
        ),
        (
            "python: expert",
            "The level of “python” must be 1, 2 or 3 (1 basic, 2 working, 3 expert); got “expert”.",
        ),
        ("python: 2\nPython: 3", "“Python” is listed twice."),
        (": 2", "“: 2” has no skill name before the colon."),
    ],
)
def test_edit_profile_refuses_bad_skills(member_client, person, skills_text, message):
    response = _edit(member_client, skills_text=skills_text)

    assert response.status_code == 200
    assert response.context["form"].errors == {"skills_text": [message]}
    assert Skill.objects.filter(person=person).count() == 0


def test_edit_profile_refuses_overlong_and_blank_names(member_client, person):
    assert _edit(member_client, display_name="x" * 121).context["form"].errors == {
        "display_name": ["Ensure this value has at most 120 characters (it has 121)."]
    }
    assert _edit(member_client, display_name="   ").context["form"].errors == {
        "display_name": ["This field is required."]
    }


def test_skills_set_replaces_previous_skills(person):
    services.skills_set(person=person, skills=[("python", 1), ("sql", 2)])

    services.skills_set(person=person, skills=[("Python", 3), ("rust", 1)])

    assert sorted(Skill.objects.filter(person=person).values_list("tag__slug", "level")) == [
        ("python", 3),
        ("rust", 1),
    ]


def test_the_office_country_and_region_are_saved_for_public_holidays(member_client, person):
    response = _edit(member_client, office_country="DE", office_subdivision="by")
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.office_country, person.office_subdivision, person.office_region) == (
        "DE",
        "BY",
        "DE-BY",
    )
    form = member_client.get(reverse("people:edit_profile")).context["form"]
    assert (form.initial["office_country"], form.initial["office_subdivision"]) == ("DE", "BY")


@pytest.mark.parametrize(
    ("country", "region", "field", "message"),
    [
        (
            "DE",
            "XX",
            "office_subdivision",
            "DE has no region “XX”; its regions include BB, BE, "
            "BW, BY, HB, HE, HH, MV, NI, NW, RP and SH.",
        ),
        ("", "BY", "office_subdivision", "Choose the country before its region."),
        (
            "ZZ",
            "",
            "office_country",
            "Select a valid choice. ZZ is not one of the available choices.",
        ),
    ],
)
def test_an_unknown_office_region_is_a_form_error(
    member_client, person, country, region, field, message
):
    response = _edit(member_client, office_country=country, office_subdivision=region)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    person.refresh_from_db()
    assert (person.office_country, person.office_subdivision) == ("", "")
