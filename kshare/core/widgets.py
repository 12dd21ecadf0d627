"""Form widgets every app's forms use."""

from __future__ import annotations

from django import forms


class DateTimeLocalInput(forms.DateTimeInput):
    """``<input type=datetime-local>``, shown and read in the reader's timezone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")
