"""Small helpers shared by the routers: input and service errors, path ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Path
from pydantic import BeforeValidator, Field

from kshare.api.errors import ApiError, django_fields
from kshare.api.schemas import MAX_ID, digits_only
from kshare.core.inputs import InputError

# A path id: a positive integer in bigint range (anything else is a 422, not a 500).
PathId = Annotated[int, BeforeValidator(digits_only), Path(ge=1, le=MAX_ID)]
IdField = Field(ge=1, le=MAX_ID)
# The message of Django's choice fields for an id of nothing, as the web forms give it.
NOT_A_CHOICE = forms.ModelChoiceField.default_error_messages["invalid_choice"]


def input_valid[T](check: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run an app's input rules (``<app>/inputs.py``): their ``InputError`` is a 400 ``invalid``
    with the same fields and messages a web form shows."""
    try:
        return check(*args, **kwargs)
    except InputError as exc:
        fields = exc.fields
        message = " ".join(m for messages in fields.values() for m in messages)
        raise ApiError(400, "invalid", message or _("Invalid input."), fields) from None


def service_call[T](call: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a service: field errors are a 400, state errors (no field) a 409 ``invalid_state``."""
    try:
        return call(**kwargs)
    except ValidationError as exc:
        fields = django_fields(exc)
        message = " ".join(m for messages in fields.values() for m in messages) or _("Invalid.")
        if hasattr(exc, "error_dict") and set(fields) != {"__all__"}:
            raise ApiError(400, "invalid", message, fields) from None
        raise ApiError(409, "invalid_state", message, fields) from None
