import pytest
from django.urls import reverse

from kshare.people.tests.factories import PersonFactory, SkillFactory, TeamFactory
from kshare.tags.tests.factories import TagFactory


@pytest.fixture
def people(db):
    data = TeamFactory(name="Data Science", slug="data-science")
    web = TeamFactory(name="Web", slug="web")
    anna = PersonFactory(display_name="Anna Analyst", email="anna@example.com", team=data)
    bert = PersonFactory(display_name="Bert Backend", email="bert@corp.example", team=web)
    cleo = PersonFactory(display_name="Cleo Coder", email="cleo@example.com", team=web)
    SkillFactory(person=anna, tag=TagFactory(name="Python", slug="python"), level=3)
    SkillFactory(person=cleo, tag=TagFactory(name="Rust", slug="rust"), level=2)
    return {"anna": anna, "bert": bert, "cleo": cleo, "data": data, "web": web}


def _names(client, **params) -> list[str]:
    response = client.get(reverse("people:list"), params)
    assert response.status_code == 200
    return [p.display_name for p in response.context["people"]]


def test_directory_lists_everyone_active_by_name(member_client, people):
    PersonFactory(display_name="Zed Gone", is_active=False)

    assert _names(member_client) == ["Anna Analyst", "Bert Backend", "Cleo Coder", "Mia Member"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("anna", ["Anna Analyst"]),
        ("corp.example", ["Bert Backend"]),
        ("science", ["Anna Analyst"]),
        ("RUST", ["Cleo Coder"]),
        ("web coder", ["Cleo Coder"]),
        ("nobody", []),
    ],
)
def test_directory_search_by_name_email_team_or_skill(member_client, people, query, expected):
    assert _names(member_client, q=query) == expected


def test_directory_filters_by_team(member_client, people):
    assert _names(member_client, team="web") == ["Bert Backend", "Cleo Coder"]
    assert _names(member_client, team="web", q="python") == []


def test_directory_paginates_24_per_page(member_client, db):
    PersonFactory.create_batch(30)

    first = member_client.get(reverse("people:list"))
    second = member_client.get(reverse("people:list"), {"page": 2})

    assert len(first.context["people"]) == 24
    assert len(second.context["people"]) == 7
    assert first.context["page_obj"].paginator.count == 31


def test_directory_shows_admins_the_import_link(client, admin_person, person):
    client.force_login(admin_person)
    assert reverse("people:import") in client.get(reverse("people:list")).text
    client.force_login(person)
    assert reverse("people:import") not in client.get(reverse("people:list")).text


@pytest.mark.parametrize("rows", [10, 100])
def test_directory_query_count_does_not_grow_with_rows(
    member_client, db, rows, django_assert_num_queries
):
    team = TeamFactory(name="Busy", slug="busy")
    for i in range(rows):
        p = PersonFactory(team=team)
        SkillFactory(person=p, tag=TagFactory(name=f"s{rows}-{i}", slug=f"s{rows}-{i}"))

    # session + user, teams, count, page of people + teams, their skills + tags
    with django_assert_num_queries(6):
        response = member_client.get(reverse("people:list"), {"q": "person"})

    assert response.status_code == 200
    assert len(response.context["people"]) == min(rows, 24)


def test_directory_search_with_nul_character_is_not_an_error(member_client, people):
    assert _names(member_client, q="an\x00na") == ["Anna Analyst"]


@pytest.mark.parametrize("language", ["en-gb", "de", "fr"])
def test_a_skills_level_label_is_djangos_label_in_the_active_language(language):
    from django.db.models.base import Model
    from django.utils import translation

    from kshare.people.models import Skill

    field = Skill._meta.get_field("level")
    with translation.override(language):
        for level in (1, 2, 3, 7):  # 7: no level (unvalidated input) is shown as it is
            skill = Skill(level=level)
            # Django's generic get_FOO_display, which the model's own replaces for speed
            assert skill.get_level_display() == str(Model._get_FIELD_display(skill, field))
        labels = [Skill(level=level).get_level_display() for level in (1, 2, 3)]
    expected = {
        "en-gb": ["Basic", "Working", "Expert"],
        "de": ["Grundlagen", "Praxis", "Expert:in"],
        "fr": ["Notions", "Pratique", "Expert"],
    }
    assert labels == expected[language]


def test_the_directory_shows_each_skills_level(member_client, people):
    response = member_client.get(reverse("people:list"))

    assert "Python · Expert" in response.content.decode()
    assert "Rust · Working" in response.content.decode()
