"""``people_create_bulk``: the rules of the one-person paths, for many people at once."""

import io

import pytest
from django.core.exceptions import ValidationError

from kshare.people.models import Person, Skill
from kshare.people.services import (
    account_invite_accept,
    account_invite_create,
    people_create_bulk,
    people_import_csv,
)
from kshare.people.tests.factories import PersonFactory
from kshare.search.models import Kind, SearchDocument
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def test_bulk_people_are_stored_as_the_invitation_path_stores_them(organiser):
    _, token = account_invite_create(email="  Ada.Lovelace@Example.COM ", by=organiser)
    single = account_invite_accept(
        token=token, display_name="  Ada   Lovelace ", password="correct horse 42", timezone="UTC"
    )
    [bulk] = people_create_bulk(
        people=[Person(email="  Grace.Hopper@Example.COM ", display_name="  Grace   Hopper ")]
    )
    bulk.refresh_from_db()
    assert (single.email, single.display_name) == ("ada.lovelace@example.com", "Ada Lovelace")
    assert (bulk.email, bulk.display_name) == ("grace.hopper@example.com", "Grace Hopper")


def test_bulk_people_cut_long_names_to_the_column_as_the_single_path_does():
    [person] = people_create_bulk(people=[Person(email="long@example.com", display_name="x" * 500)])
    assert len(person.display_name) == Person._meta.get_field("display_name").max_length


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"display_name": "   "}, "display_name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"office_country": "DE", "office_subdivision": "XX"}, "office_region"),
    ],
)
def test_bulk_people_refuse_what_the_single_paths_refuse(fields, code):
    row = {"email": "a@example.com", "display_name": "A", "timezone": "UTC", **fields}
    with pytest.raises(ValidationError) as error:
        people_create_bulk(people=[Person(email="b@example.com", display_name="B"), Person(**row)])
    assert error.value.code == code
    assert Person.objects.count() == 0


def test_bulk_skills_refuse_a_level_outside_one_to_three():
    tag = TagFactory(name="pandas")
    with pytest.raises(ValidationError) as error:
        people_create_bulk(
            people=[Person(pk=900, email="a@example.com", display_name="A")],
            skills=[Skill(person_id=900, tag_id=tag.pk, level=4)],
        )
    assert error.value.code == "level"


def test_bulk_people_with_planned_ids_move_the_sequence_past_them():
    people_create_bulk(
        people=[
            Person(pk=500, email="a@example.com", display_name="A"),
            Person(pk=501, email="b@example.com", display_name="B"),
        ]
    )
    later = PersonFactory()
    assert later.pk == 502


def test_bulk_people_get_skills_and_interests(django_capture_on_commit_callbacks):
    pandas, sql = TagFactory(name="pandas"), TagFactory(name="sql")
    with django_capture_on_commit_callbacks(execute=True):
        people_create_bulk(
            people=[Person(pk=700, email="a@example.com", display_name="A")],
            skills=[Skill(person_id=700, tag_id=pandas.pk, level=3)],
            interests=[(700, sql.pk)],
        )
    person = Person.objects.get(pk=700)
    assert list(person.skills.values_list("tag__name", "level")) == [("pandas", 3)]
    assert list(person.interests.values_list("name", flat=True)) == ["sql"]


def test_bulk_people_are_searchable_after_commit_as_saved_people_are(
    django_capture_on_commit_callbacks,
):
    pandas = TagFactory(name="pandas")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        people_create_bulk(
            people=[Person(pk=800, email="a@example.com", display_name="Ada Bulk", bio="Hi")],
            skills=[Skill(person_id=800, tag_id=pandas.pk, level=2)],
        )
    assert len(callbacks) == 2  # the skill counts' version, then rows_saved
    bulk = SearchDocument.objects.get(kind=Kind.PERSON, object_id=800)
    single = PersonFactory(display_name="Ada Single", bio="Hi")
    Skill.objects.create(person=single, tag=pandas, level=2)
    saved = SearchDocument.objects.get(kind=Kind.PERSON, object_id=single.pk)
    assert (bulk.title, bulk.tags, bulk.body, bulk.meta, bulk.is_open) == (
        "Ada Bulk",
        "pandas",
        "Hi",
        saved.meta,
        True,
    )
    assert (saved.tags, saved.body) == ("pandas", "Hi")


def test_bulk_people_announce_nothing_when_rolled_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        people_create_bulk(
            people=[
                Person(pk=1, email="a@example.com", display_name="A"),
                Person(pk=2, email="b@example.com", display_name=""),
            ]
        )
    assert callbacks == []
    assert SearchDocument.objects.count() == 0


def test_people_imported_from_csv_are_searchable_after_commit(django_capture_on_commit_callbacks):
    text = "email,display_name,team,skills\nada@example.com,Ada Import,Data,pandas:3\n"
    with django_capture_on_commit_callbacks(execute=True):
        people_import_csv(file=io.StringIO(text, newline=""))
    ada = Person.objects.get(email="ada@example.com")
    document = SearchDocument.objects.get(kind=Kind.PERSON, object_id=ada.pk)
    assert (document.title, document.tags, document.body) == ("Ada Import", "pandas", "Data")
