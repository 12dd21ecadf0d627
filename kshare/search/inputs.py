"""What a search may ask: the typed input and its rules, written once.

The search page's form (``SearchForm``) reads its fields into a ``SearchInput`` and shows
``InputError`` next to its fields; the API (``kshare.api.routers.search``) builds the same input
from its query parameters (the programme id becomes one of the programmes the caller may see)
and answers 400 ``invalid`` with the same fields and messages. ``search_input_run`` runs the
checked input through the one search function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from kshare.core.inputs import InputErrors
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.search.query import MAX_QUERY_CHARS
from kshare.search.selectors import PER_PAGE, SearchPage, search

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


@dataclass
class SearchInput:
    q: str = ""
    kind: str | None = None  # a ``Kind``; None: everything
    tag: str | None = None  # a tag slug
    programme: Programme | None = None
    after: date | None = None  # from this day (included)
    before: date | None = None  # until this day (included)


def search_input_check(data: SearchInput, *, errors: InputErrors | None = None) -> SearchInput:
    """``data`` with its words trimmed, or ``InputError``: days within 1900-2999, "until" not
    before "from". ``errors`` may hold the caller's errors already."""
    errors = errors if errors is not None else InputErrors()
    for name in ("after", "before"):
        day = getattr(data, name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            errors.add(name, _("Enter a date between 1900 and 2999."))
    if data.after and data.before and data.after > data.before:
        errors.add("before", _("“Until” must not be before “From”."))
    errors.raise_any()
    # Very long input is cut, not refused: the parser keeps the first MAX_QUERY_CHARS.
    return SearchInput(
        q=data.q.strip()[: MAX_QUERY_CHARS * 4],
        kind=data.kind or None,
        tag=data.tag or None,
        programme=data.programme,
        after=data.after,
        before=data.before,
    )


def day_start(day: date | None) -> datetime | None:
    """Midnight of ``day`` in the current (the viewer's) time zone."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


def search_input_run(
    *, person: Person, data: SearchInput, page: int = 1, per_page: int = PER_PAGE
) -> SearchPage:
    """One page of ``search`` for the checked ``data``: its days are the viewer's, the "until"
    day included (up to the midnight after it)."""
    return search(
        person=person,
        query=data.q,
        kind=data.kind,
        tag=data.tag,
        programme=data.programme,
        after=day_start(data.after),
        before=day_start(data.before + timedelta(days=1)) if data.before else None,
        page=page,
        per_page=per_page,
    )
