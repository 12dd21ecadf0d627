"""tags_in_text: the known tags a title and abstract name."""

import pytest

from kshare.tags.selectors import tags_in_text
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def test_whole_words_only_most_mentioned_first_and_plurals_count():
    for name in ("go", "C", "C++", "SQL", "data frame", "Kubernetes", "pandas"):
        TagFactory(name=name)

    found = tags_in_text(
        text="Data frames in pandas vs. SQL: Django and C++ go further with SQL window "
        "functions. Pandas!"
    )

    # "go" (a word) counts; "go" inside "Django" and "C" inside "C++" do not.
    assert [t.name for t in found] == ["pandas", "SQL", "data frame", "C++", "go"]


def test_nothing_for_a_text_without_known_tags():
    TagFactory(name="kubernetes")
    assert tags_in_text(text="Lunch and learn: sourdough baking") == []
    assert tags_in_text(text="   ") == []
