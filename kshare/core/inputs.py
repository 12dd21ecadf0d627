"""The one error type of input rules, and how a form shows it.

An app's input rules (``<app>/inputs.py``) take a typed input (a dataclass of Python values: lists
stay lists, ids are objects) and raise ``InputError``: field name -> messages. The HTML form turns
its cleaned strings into the typed input and shows the errors next to its fields
(``form_add_input_error``); the API builds the same input from JSON and answers 400 ``invalid``
with the same fields and messages (``kshare.api.util.input_valid``).

``InputError`` is a Django ``ValidationError`` with an error dict, so code that already catches
those (a view's ``form.add_error(None, exc)``, the API's handler) reads it unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django import forms
from django.core.exceptions import ValidationError


class InputError(ValidationError):
    """Input refused: ``fields`` maps each field name to its messages, in the order found."""

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        super().__init__({name: list(messages) for name, messages in fields.items()})

    @property
    def fields(self) -> dict[str, list[str]]:
        return {name: [str(m) for m in messages] for name, messages in self.message_dict.items()}


class InputErrors:
    """Collects field errors while rules run; ``raise_any()`` raises them as one ``InputError``."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, *messages: str) -> None:
        self.fields.setdefault(field, []).extend(messages)

    def add_validation_error(self, exc: ValidationError, *, field: str) -> None:
        """A ``ValidationError`` from a service: its own fields, or ``field`` when it has none."""
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                self.add(name, *messages)
        else:
            self.add(field, *exc.messages)

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    def raise_any(self) -> None:
        if self.fields:
            raise InputError(self.fields)


def form_failed(form: forms.BaseForm, rename: Mapping[str, str] | None = None) -> set[str]:
    """The input's field names whose form fields already failed (their rules are skipped)."""
    back = {form_name: name for name, form_name in (rename or {}).items()}
    return {back.get(name, name) for name in form.errors}


def form_add_input_error(
    form: forms.BaseForm, exc: ValidationError, rename: Mapping[str, str] | None = None
) -> None:
    """Show an ``InputError`` (or a service's field ``ValidationError``) on the form's fields;
    ``rename`` maps the input's field names to the form's (``tags`` -> ``tags_text``)."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, messages in exc.message_dict.items():
        target = rename.get(name, name)
        form.add_error(target if target in form.fields else None, list(messages))
