"""Shared schemas and strict field types for every router.

Use ``Text(max_length)`` for every string in a request body (strict str, the model's max length,
no NUL character, which PostgreSQL cannot store), ``UtcDatetime`` for every datetime (an ISO 8601
string with an offset, normalised to UTC; naive values are rejected) and ``StrictInt`` /
``StrictBool`` for numbers and flags, so that lax coercion never turns nonsense into a value.
Every operation declares its error responses with ``ERRORS`` (``responses={200: X, **ERRORS}``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

__all__ = [
    "ERRORS",
    "MAX_ID",
    "ErrorDetail",
    "ErrorOut",
    "Id",
    "Page",
    "PersonRef",
    "QueryId",
    "QueryText",
    "StrictBool",
    "StrictInt",
    "TeamRef",
    "Text",
    "UtcDatetime",
    "digits_only",
    "no_nul",
]


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Must not contain NUL characters.")
    return value


def _stripped(min_length: int):
    def strip(value: str) -> str:
        value = value.strip()
        if len(value) < min_length:
            raise ValueError(
                "Must not be blank."
                if min_length == 1
                else f"Must have at least {min_length} characters besides spaces."
            )
        return value

    return strip


def Text(max_length: int, *, min_length: int = 0, strip: bool = True) -> Any:
    """A strict string type with the model's limits.

    The limits apply to the string as sent (the schema's maxLength), then it is stripped: a
    value longer than documented is refused even when spaces around it would fit it in.
    """
    validators = [AfterValidator(no_nul)]
    if strip:
        validators.append(AfterValidator(_stripped(min_length)))
    return Annotated[
        str,
        StringConstraints(strict=True, max_length=max_length, min_length=min_length),
        *validators,
    ]


MIN_YEAR, MAX_YEAR = 1900, 9000


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _datetime_string(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("Must be an ISO 8601 date-time string with a UTC offset.")
    no_nul(value)
    if not ISO_DATETIME.match(value):
        # pydantic would read "0.5" or "1700000000" as a Unix time: not the documented format.
        raise ValueError("Must be an ISO 8601 date-time string with a UTC offset.")
    return value


def _aware_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "Must include a UTC offset (e.g. 2026-05-01T14:00:00Z or +02:00); "
            "naive date-times are ambiguous."
        )
    try:
        value = value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError("Out of range.") from exc
    # Far-off years overflow later arithmetic (an end = start + length): refuse them here.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"Must be between the years {MIN_YEAR} and {MAX_YEAR}.")
    return value


UtcDatetime = Annotated[dt.datetime, BeforeValidator(_datetime_string), AfterValidator(_aware_utc)]


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    """Every error: ``{"error": {"code": ..., "message": ..., "fields": {name: [messages]}}}``."""

    error: ErrorDetail


# Declared on every operation so the schema documents each status the API can return.
ERRORS: dict[int, type] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


class Page[T](Schema):
    """One page of a list: ``next_cursor`` is null on the last page."""

    items: list[T]
    next_cursor: str | None = None


# Ids: strict integers within PostgreSQL's bigint, so a huge number is a 422, never a 500.
MAX_ID = 2**63 - 1
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def digits_only(value: Any) -> Any:
    """Ids in the query string or the path: digits only ("7.0" or "1e3" are not ids)."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("Must be a whole number.")
    return value


# Query-string ids arrive as text: parsed (not strict), with the same bounds.
QueryId = Annotated[int, BeforeValidator(digits_only), Field(ge=1, le=MAX_ID)]
QueryText = Annotated[str, StringConstraints(max_length=200), AfterValidator(no_nul)]


class PersonRef(Schema):
    id: int
    display_name: str


class TeamRef(Schema):
    id: int
    name: str
