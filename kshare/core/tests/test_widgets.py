"""Date and time inputs carry ISO values whatever the reader's language: a browser's date field
shows nothing for "07.12.2026" or "07/12/2026"."""

from datetime import date, datetime

import pytest
from django.utils import translation

from kshare.audit.forms import AuditFilterForm
from kshare.core.widgets import DateInput, DateTimeLocalInput
from kshare.dashboard.forms import FilterForm as DashboardFilterForm
from kshare.search.forms import SearchForm


@pytest.mark.parametrize("language", ["en-gb", "de", "fr"])
def test_date_and_datetime_inputs_render_iso_values(language):
    with translation.override(language):
        day = DateInput().render("day", date(2026, 12, 7))
        moment = DateTimeLocalInput().render("at", datetime(2026, 12, 7, 14, 5))
    assert 'type="date"' in day and 'value="2026-12-07"' in day
    assert 'type="datetime-local"' in moment and 'value="2026-12-07T14:05"' in moment


@pytest.mark.parametrize(
    ("form_class", "field", "extra"),
    [
        (AuditFilterForm, "start", {"target_types": []}),
        (DashboardFilterForm, "start", {}),
        (SearchForm, "after", {}),
    ],
)
def test_the_filter_forms_date_fields_use_the_iso_date_input(form_class, field, extra):
    with translation.override("de"):
        html = str(form_class(initial={field: date(2026, 12, 7)}, **extra)[field])
    assert 'type="date"' in html and 'value="2026-12-07"' in html
