"""The dashboard's filter rules (``kshare.dashboard.inputs``): the page's form and the API get the
same periods and the same messages."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from kshare.core.inputs import InputError, InputErrors
from kshare.dashboard.figures import Filters
from kshare.dashboard.forms import FilterForm
from kshare.dashboard.inputs import FilterInput, filter_input_check, months_back
from kshare.people.tests.factories import TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def test_months_back_counts_the_current_month():
    assert months_back(date(2026, 3, 15), 3) == date(2026, 1, 1)
    assert months_back(date(2026, 1, 31), 12) == date(2025, 2, 1)


def test_a_custom_period_keeps_its_days_and_the_ids():
    programme, team = ProgrammeFactory(), TeamFactory()
    data = FilterInput(
        programme=programme,
        team=team,
        period="custom",
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
    )
    assert filter_input_check(data) == Filters(
        programme.pk, team.pk, date(2026, 1, 1), date(2026, 3, 31)
    )


@pytest.mark.parametrize(("period", "months"), [("3m", 3), ("6m", 6), ("12m", 12), ("year", None)])
def test_a_preset_ends_today_and_ignores_the_days(period, months):
    today = _today()
    first = months_back(today, months) if months else today.replace(month=1, day=1)
    data = FilterInput(period=period, start=date(2000, 1, 1), end=date(1999, 1, 1))
    assert filter_input_check(data) == Filters(None, None, first, today)


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        (
            None,
            None,
            {
                "start": ["Choose the first day of the period."],
                "end": ["Choose the last day of the period."],
            },
        ),
        (
            date(2026, 3, 1),
            date(2026, 1, 1),
            {"end": ["The period must end on or after its first day."]},
        ),
        (date(2010, 1, 1), date(2026, 1, 1), {"end": ["Choose a period of at most five years."]}),
        (
            date(1969, 12, 31),
            date(3000, 1, 1),
            {
                "start": ["Choose a date between 1970 and 2999."],
                "end": ["Choose a date between 1970 and 2999."],
            },
        ),
    ],
)  # fmt: skip
def test_each_custom_period_rule_gives_the_forms_message(start, end, fields):
    with pytest.raises(InputError) as caught:
        filter_input_check(FilterInput(period="custom", start=start, end=end))
    assert caught.value.fields == fields


def test_the_callers_errors_come_first_and_are_raised_with_a_preset_too():
    errors = InputErrors()
    errors.add("programme", "No such programme.")
    with pytest.raises(InputError) as caught:
        filter_input_check(FilterInput(period="custom"), errors=errors)
    assert list(caught.value.fields) == ["programme", "start", "end"]

    errors = InputErrors()
    errors.add("team", "No such team.")
    with pytest.raises(InputError) as caught:
        filter_input_check(FilterInput(period="3m"), errors=errors)
    assert caught.value.fields == {"team": ["No such team."]}


def test_the_form_shows_the_rules_next_to_its_fields():
    form = FilterForm({"period": "custom", "start": "January", "end": "2026-01-01"})
    assert form.is_valid() is False
    assert form.errors == {
        "start": ["Enter a valid date.", "Choose the first day of the period."],
    }
    valid = FilterForm({"period": "custom", "start": "2026-01-01", "end": "2026-01-31"})
    assert valid.is_valid() is True
    assert valid.filters() == Filters(None, None, date(2026, 1, 1), date(2026, 1, 31))
