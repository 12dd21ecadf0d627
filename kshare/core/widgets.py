"""Form widgets every app's forms use."""

from __future__ import annotations

from django import forms


class DateTimeLocalInput(forms.DateTimeInput):
    """``<input type=datetime-local>``, shown and read in the reader's timezone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    """``<input type=date>``: its value is always ISO 8601 (``2026-12-07``), whatever the
    reader's language (a German date format would leave the browser's date field empty)."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
