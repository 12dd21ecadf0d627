from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from kshare.programmes.models import Programme
from kshare.search.models import Kind
from kshare.search.query import MAX_QUERY_CHARS


class SearchForm(forms.Form):
    """The search page's query and filters; anything invalid is a field error, never a 500."""

    q = forms.CharField(label="Search for", required=False, strip=True)
    kind = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Everything"), *Kind.choices]
    )
    tag = forms.SlugField(label="Tag", required=False, max_length=60)
    programme = forms.ModelChoiceField(
        label="Programme",
        required=False,
        queryset=Programme.objects.none(),
        empty_label="All programmes",
        to_field_name="slug",
    )
    after = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.DateField(
        label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, programmes=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if programmes is not None:
            self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]

    def clean_q(self) -> str:
        # Very long input is cut, not refused: the parser keeps the first MAX_QUERY_CHARS.
        return self.cleaned_data["q"][: MAX_QUERY_CHARS * 4]

    def clean(self) -> dict:
        data = super().clean()
        after, before = data.get("after"), data.get("before")
        for name in ("after", "before"):
            day = data.get(name)
            if day is not None and not (date(1900, 1, 1) <= day <= date(2999, 12, 31)):
                self.add_error(name, "Enter a date between 1900 and 2999.")
        if after and before and after > before:
            self.add_error("before", "“Until” must not be before “From”.")
        return data

    @staticmethod
    def page_number(raw: str | None) -> int:
        """The requested page; anything that is not a page number is the first page."""
        try:
            return max(1, min(int(raw or 1), 1_000_000))
        except ValueError:
            return 1

    @staticmethod
    def start_of(day: date | None) -> datetime | None:
        """Midnight of ``day`` in the viewer's time zone."""
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.min))

    @classmethod
    def end_of(cls, day: date | None) -> datetime | None:
        """Midnight after ``day`` (the "until" day is included)."""
        return cls.start_of(day + timedelta(days=1)) if day is not None else None
