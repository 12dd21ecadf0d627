"""The search rules (``kshare.search.inputs``): the page's form and the API get the same checks
and messages, and the days are the viewer's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kshare.core.inputs import InputError
from kshare.search.forms import SearchForm
from kshare.search.inputs import SearchInput, day_start, search_input_check
from kshare.search.query import MAX_QUERY_CHARS

pytestmark = pytest.mark.django_db


def test_a_valid_search_comes_back_trimmed_with_empty_filters_as_none():
    data = SearchInput(q="  okapi  ", kind="", tag="", after=date(2026, 1, 1))
    assert search_input_check(data) == SearchInput(q="okapi", after=date(2026, 1, 1))


def test_very_long_words_are_cut_not_refused():
    long = "x" * (MAX_QUERY_CHARS * 4 + 10)
    assert search_input_check(SearchInput(q=long)).q == "x" * (MAX_QUERY_CHARS * 4)


@pytest.mark.parametrize(
    ("after", "before", "fields"),
    [
        (date(2026, 5, 2), date(2026, 5, 1), {"before": ["“Until” must not be before “From”."]}),
        (date(1899, 12, 31), None, {"after": ["Enter a date between 1900 and 2999."]}),
        (
            date(3000, 1, 1),
            date(2026, 1, 1),
            {
                "after": ["Enter a date between 1900 and 2999."],
                "before": ["“Until” must not be before “From”."],
            },
        ),
    ],
)
def test_each_rule_gives_the_forms_message(after, before, fields):
    with pytest.raises(InputError) as caught:
        search_input_check(SearchInput(q="x", after=after, before=before))
    assert caught.value.fields == fields


def test_a_day_starts_at_the_viewers_midnight():
    berlin = ZoneInfo("Europe/Berlin")
    with timezone.override(berlin):
        assert day_start(date(2026, 7, 1)) == datetime(2026, 7, 1, tzinfo=berlin)
    assert day_start(None) is None


def test_the_form_shows_the_rules_next_to_its_fields():
    form = SearchForm({"q": "x", "after": "2026-05-02", "before": "2026-05-01"})
    assert form.is_valid() is False
    assert form.errors == {"before": ["“Until” must not be before “From”."]}
    valid = SearchForm({"q": " okapi ", "kind": "session"})
    assert valid.is_valid() is True
    assert valid.input == SearchInput(q="okapi", kind="session")
