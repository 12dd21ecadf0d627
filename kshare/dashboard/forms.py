from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kshare.core.inputs import InputError, form_add_input_error
from kshare.core.widgets import DateInput
from kshare.dashboard.figures import Filters
from kshare.dashboard.inputs import DEFAULT_PERIOD, PERIODS, FilterInput, filter_input_check
from kshare.people.models import Team
from kshare.programmes.models import Programme


class FilterForm(forms.Form):
    """The dashboard's GET filters: programme, team and a period preset or a custom range, read
    into a ``FilterInput`` whose rules (``kshare.dashboard.inputs``) it shows."""

    programme = forms.ModelChoiceField(
        queryset=Programme.objects.order_by("name"),
        required=False,
        label=_("Programme"),
        empty_label=_("All programmes"),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        label=_("Team"),
        empty_label=_("All teams"),
    )
    period = forms.ChoiceField(
        choices=PERIODS, required=False, initial=DEFAULT_PERIOD, label=_("Period")
    )
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    checked: Filters | None = None

    def clean(self) -> dict:
        data = super().clean() or {}
        data["period"] = data.get("period") or DEFAULT_PERIOD
        try:
            self.checked = filter_input_check(
                FilterInput(
                    programme=data.get("programme"),
                    team=data.get("team"),
                    period=data["period"],
                    start=data.get("start"),
                    end=data.get("end"),
                )
            )
        except InputError as exc:
            form_add_input_error(self, exc)
        return data

    def filters(self) -> Filters:
        """The checked filters of a valid form."""
        if self.checked is None:
            raise ValueError("The filters were not valid.")
        return self.checked
