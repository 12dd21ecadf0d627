"""Cursor (keyset) pagination for every list.

``cursor_page(queryset, cursor=..., limit=..., order=("-created_at", "id"))`` orders the queryset,
returns ``{"items": [...], "next_cursor": str | None}``. The cursor is opaque: the order-field
values of the page's last row, signed (``django.core.signing``) so it cannot be forged or
edited, and tied to the order it was made for. The order must end with a unique, non-null
field (``id``) and contain only non-null fields, so the order is total and stable.
An invalid cursor is a 400 error body.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Field, Schema

from kshare.api.errors import ApiError

SALT = "kshare.api.cursor"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class PageQuery(Schema):
    """The query parameters of every list: ``?cursor=...&limit=25``."""

    cursor: str | None = Field(None, max_length=1000, description="next_cursor of the page before")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="rows per page (1-100)")


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if value is None or isinstance(value, (int, str, float, bool)):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return dt.datetime.fromisoformat(value["t"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        raise ValueError("bad value")
    return value


def _value(obj: Any, field: str) -> Any:
    for part in field.split("__"):
        obj = getattr(obj, part) if not isinstance(obj, dict) else obj[part]
    return obj


def _invalid() -> ApiError:
    return ApiError(
        400,
        "invalid_cursor",
        _("The cursor is invalid: pass the next_cursor of a previous page unchanged."),
        {"cursor": [_("Invalid cursor.")]},
    )


def cursor_decode(cursor: str, order: tuple[str, ...]) -> list[Any]:
    try:
        payload = signing.loads(cursor, salt=SALT)
        if not isinstance(payload, dict) or payload.get("o") != list(order):
            raise ValueError("cursor for another order")
        values = [_decode(v) for v in payload["v"]]
        if len(values) != len(order):
            raise ValueError("wrong length")
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        raise _invalid() from None
    return values


def cursor_encode(obj: Any, order: tuple[str, ...]) -> str:
    values = [_encode(_value(obj, f.lstrip("-"))) for f in order]
    return signing.dumps({"o": list(order), "v": values}, salt=SALT, compress=True)


def _after(order: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``order``: (a > x) | (a = x & b > y) | ..."""
    condition = Q()
    equal = Q()
    for field, value in zip(order, values, strict=True):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        condition |= equal & Q(**{f"{name}__{op}": value})
        equal &= Q(**{name: value})
    return condition


def cursor_page(
    queryset: QuerySet,
    *,
    cursor: str | None,
    limit: int = DEFAULT_LIMIT,
    order: tuple[str, ...] = ("id",),
) -> dict[str, Any]:
    limit = max(1, min(int(limit), MAX_LIMIT))
    queryset = queryset.order_by(*order)
    if cursor:
        queryset = queryset.filter(_after(order, cursor_decode(cursor, order)))
    rows = list(queryset[: limit + 1])
    next_cursor = cursor_encode(rows[limit - 1], order) if len(rows) > limit else None
    return {"items": rows[:limit], "next_cursor": next_cursor}


def cursor_page_nulls_last(
    queryset: QuerySet,
    *,
    cursor: str | None,
    limit: int = DEFAULT_LIMIT,
    field: str,
    alias: str,
    last: Any,
) -> dict[str, Any]:
    """``cursor_page`` ordered by ``field`` (rows where it is null last), then id.

    The order is that of ``(alias, "id")`` with ``alias`` = ``field`` or ``last`` when null, and
    so are the cursors; but the rows are read as two index-ordered runs, those with a value by
    ``(field, id)`` and then those without by id, because an ``ORDER BY COALESCE(...)`` can use
    no index: the database then tests every row (for sessions, the visibility rule on each of
    the organisation's sessions) and sorts them all to return one page.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    order = (alias, "id")
    values = cursor_decode(cursor, order) if cursor else None
    lookups = queryset._prefetch_related_lookups
    plain = queryset.prefetch_related(None)
    rows: list[Any] = []
    if values is None or values[0] != last:
        valued = plain.filter(**{f"{field}__isnull": False})
        if values is not None:
            after = Q(**{f"{field}__gt": values[0]}) | Q(**{field: values[0], "id__gt": values[1]})
            valued = valued.filter(after, **{f"{field}__gte": values[0]})
        rows = list(valued.order_by(field, "id")[: limit + 1])
    if len(rows) <= limit:
        empty = plain.filter(**{f"{field}__isnull": True})
        if values is not None and values[0] == last:
            empty = empty.filter(id__gt=values[1])
        rows += list(empty.order_by("id")[: limit + 1 - len(rows)])
    for row in rows:
        value = getattr(row, field)
        setattr(row, alias, last if value is None else value)
    items = rows[:limit]
    prefetch_related_objects(items, *lookups)
    next_cursor = cursor_encode(rows[limit - 1], order) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}
