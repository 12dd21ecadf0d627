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
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
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
    "Day",
    "ErrorDetail",
    "ErrorOut",
    "Id",
    "JsonInt",
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
        raise ValueError(_("Must not contain NUL characters."))
    return value


# "Not blank", as the schema's ``pattern`` says it: a character that is not white space. The
# class lists what Python's ``str.isspace`` and ECMA-262's ``\s`` (JSON Schema validators)
# count as space, so both read every string the same way.
NON_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"
_NON_BLANK = re.compile(NON_BLANK)
# The schema's patterns for text: no NUL character (PostgreSQL cannot store it), and for required
# text also one character that is not space (JSON Schema allows one pattern a value).
NO_NUL = r"^[^\x00]*$"
NON_BLANK_NO_NUL = r"^[^\x00]*[^\s\x1c-\x1f\x85\ufeff\x00][^\x00]*$"


@dataclass(frozen=True)
class JsonSchemaExtra:
    """Annotated metadata: adds keywords to the field's JSON Schema (not to its validation,
    which a validator next to it does)."""

    extra: tuple[tuple[str, Any], ...]

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        schema.update(dict(self.extra))
        return schema


def _stripped(min_length: int):
    def strip(value: str) -> str:
        if min_length and not _NON_BLANK.search(value):
            raise ValueError(_("Must not be blank."))
        value = value.strip()
        if len(value) < min_length:
            raise ValueError(
                _("Must not be blank.")
                if min_length == 1
                else _("Must have at least %(count)d characters besides spaces.")
                % {"count": min_length}
            )
        return value

    return strip


def Text(max_length: int, *, min_length: int = 0, strip: bool = True) -> Any:
    """A strict string type with the model's limits.

    The limits apply to the string as sent (the schema's maxLength), then it is stripped: a
    value longer than documented is refused even when spaces around it would fit it in.
    """
    validators: list[Any] = [AfterValidator(no_nul)]
    pattern = NO_NUL
    if strip:
        validators.append(AfterValidator(_stripped(min_length)))
        if min_length == 1:
            pattern = NON_BLANK_NO_NUL
    validators.append(JsonSchemaExtra((("pattern", pattern),)))
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
        raise ValueError(_("Must be an ISO 8601 date-time string with a UTC offset."))
    no_nul(value)
    if not ISO_DATETIME.match(value):
        # pydantic would read "0.5" or "1700000000" as a Unix time: not the documented format.
        raise ValueError(_("Must be an ISO 8601 date-time string with a UTC offset."))
    return value


def _aware_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            _(
                "Must include a UTC offset (e.g. 2026-05-01T14:00:00Z or +02:00); "
                "naive date-times are ambiguous."
            )
        )
    try:
        value = value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError(_("Out of range.")) from exc
    # Far-off years overflow later arithmetic (an end = start + length): refuse them here.
    return value


def _year_as_written(value: Any) -> Any:
    # The year as sent (the schema's pattern), before the offset moves it: far-off years
    # overflow later arithmetic (an end = start + length).
    year = value.year if isinstance(value, dt.datetime) else int(value[:4])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(
            _("Must be between the years %(first)d and %(last)d.")
            % {"first": MIN_YEAR, "last": MAX_YEAR}
        )
    return value


def Day(first_year: int, last_year: int, pattern: str) -> Any:
    """A calendar day between two years (both included); ``pattern`` states the same range in
    the schema (JSON Schema has no bounds for dates)."""

    def within(value: dt.date) -> dt.date:
        if not first_year <= value.year <= last_year:
            raise ValueError(
                _("Must be between the years %(first)d and %(last)d.")
                % {"first": first_year, "last": last_year}
            )
        return value

    return Annotated[dt.date, AfterValidator(within), JsonSchemaExtra((("pattern", pattern),))]


# Years MIN_YEAR..MAX_YEAR (1900-9000), as the schema's pattern.
YEAR_PATTERN = r"^(19[0-9]{2}|[2-8][0-9]{3}|9000)-"

UtcDatetime = Annotated[
    dt.datetime,
    BeforeValidator(_year_as_written),
    BeforeValidator(_datetime_string),
    AfterValidator(_aware_utc),
    JsonSchemaExtra((("pattern", YEAR_PATTERN),)),
]


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


def _json_integer(value: Any) -> Any:
    """JSON Schema's ``integer`` is any number without a fraction: ``5.0`` is one (a bool is
    not). Strings stay strings, for the strict check after this to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Integers in a JSON body: what JSON Schema calls an integer (5 or 5.0), nothing lax ("5", true).
JsonInt = Annotated[StrictInt, BeforeValidator(_json_integer)]

# Ids: integers within PostgreSQL's bigint, so a huge number is a 422, never a 500.
MAX_ID = 2**63 - 1
Id = Annotated[JsonInt, Field(ge=1, le=MAX_ID)]

_NUMERAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def digits_only(value: Any) -> Any:
    """Ids in the query string or the path: a number without a fraction, as JSON Schema reads
    the text ("7", "7.0", "7e2"); "7.5", "0x7" or "٣" are not ids."""
    if not isinstance(value, str):
        return value
    if not _NUMERAL.fullmatch(value):
        raise ValueError(_("Must be a whole number."))
    number = Decimal(value)
    if number.adjusted() > 30:  # far beyond any id: no need to build the integer
        return -1 if number < 0 else MAX_ID + 1
    if number != number.to_integral_value():
        raise ValueError(_("Must be a whole number."))
    return int(number)


# Query-string ids arrive as text: parsed (not strict), with the same bounds.
QueryId = Annotated[int, BeforeValidator(digits_only), Field(ge=1, le=MAX_ID)]
QueryText = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(no_nul),
    JsonSchemaExtra((("pattern", NO_NUL),)),
]


class PersonRef(Schema):
    id: int
    display_name: str


class TeamRef(Schema):
    id: int
    name: str
