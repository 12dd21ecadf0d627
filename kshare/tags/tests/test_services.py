import pytest

from kshare.tags.models import Tag
from kshare.tags.services import TagError, tag_names_parse, tag_slug, tags_get_or_create
from kshare.tags.tests.factories import TagFactory


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Python", "python"),
        ("C++", "c-plus-plus"),
        ("C#", "c-sharp"),
        ("C", "c"),
        ("Data  Science", "data-science"),
    ],
)
def test_tag_slug_keeps_languages_apart(name, slug):
    assert tag_slug(name) == slug


def test_tag_names_parse_splits_trims_and_deduplicates():
    assert tag_names_parse(" python, Data   science; sql,PYTHON,, ") == [
        "python",
        "Data science",
        "sql",
    ]


def test_tag_names_parse_refuses_long_and_symbol_only_names():
    with pytest.raises(TagError) as long_exc:
        tag_names_parse("x" * 61)
    with pytest.raises(TagError) as symbol_exc:
        tag_names_parse("ok, ???")

    assert str(long_exc.value) == "The tag “xxxxxxxxxxxxxxxxxxxx…” is longer than 60 characters."
    assert str(symbol_exc.value) == "The tag “???” needs at least one letter or digit."


def test_tags_get_or_create_reuses_existing_and_keeps_order(db):
    existing = TagFactory(name="Python", slug="python")

    tags = tags_get_or_create(names=["sql", "python", "sql"])

    assert [t.slug for t in tags] == ["sql", "python"]
    assert tags[1] == existing
    assert Tag.objects.count() == 2
