from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kshare.core.inputs import InputError, form_add_input_error
from kshare.core.widgets import DateInput
from kshare.programmes.models import Programme
from kshare.search.inputs import SearchInput, search_input_check
from kshare.search.models import Kind


class SearchForm(forms.Form):
    """The search page's query and filters, read into a ``SearchInput`` whose rules
    (``kshare.search.inputs``) it shows; anything invalid is a field error, never a 500."""

    q = forms.CharField(label=_("Search for"), required=False, strip=True)
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Everything")), *Kind.choices]
    )
    tag = forms.SlugField(label=_("Tag"), required=False, max_length=60)
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        required=False,
        queryset=Programme.objects.none(),
        empty_label=_("All programmes"),
        to_field_name="slug",
    )
    after = forms.DateField(label=_("From"), required=False, widget=DateInput())
    before = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    input: SearchInput | None = None

    def __init__(self, *args, programmes=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if programmes is not None:
            self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean()
        values = {name: data.get(name) for name in ("kind", "tag", "programme", "after", "before")}
        try:
            self.input = search_input_check(SearchInput(q=data.get("q", ""), **values))
        except InputError as exc:
            form_add_input_error(self, exc)
        return data

    @staticmethod
    def page_number(raw: str | None) -> int:
        """The requested page; anything that is not a page number is the first page."""
        try:
            return max(1, min(int(raw or 1), 1_000_000))
        except ValueError:
            return 1
