"""Search: ``GET /search?q=&kind=&tag=&programme=&after=&before=`` through the one search
function, ``kshare.search.selectors.search`` (permissions are part of its query).

Each hit's ``title`` and ``snippet`` are plain text; ``title_highlights`` / ``snippet_highlights``
are ``[start, end)`` offsets of the matched words in that text, counted in Unicode code points
(Python string indices; in JavaScript, ``Array.from(text)`` indexes the same way). Results are
ranked, so the cursor is a signed page number tied to the query and filters: pass
``next_cursor`` back unchanged with the same parameters. ``total`` is counted up to 1,000
(``more`` is true beyond). ``after`` and ``before`` are days (both included) in the caller's
time zone (their profile's).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from typing import Any, Literal

from django.core import signing
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kshare.api.errors import ApiError
from kshare.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from kshare.api.schemas import ERRORS, NO_NUL, Day, QueryId
from kshare.api.util import input_valid
from kshare.programmes.selectors import programmes_visible_to
from kshare.search.inputs import SearchInput, search_input_check, search_input_run

router = Router(tags=["search"])

KindName = Literal["session", "material", "transcript", "idea", "person"]
SALT = "kshare.api.search"


# 1900-2999, as the search input rules (kshare.search.inputs) refuse other days.
SearchDay = Day(1900, 2999, r"^(19[0-9]{2}|2[0-9]{3})-")


class SearchQuery(Schema):
    q: str = Field(
        ..., min_length=1, max_length=1000, pattern=NO_NUL, description="the words to look for"
    )
    kind: KindName | None = None
    tag: str | None = Field(
        None, max_length=60, pattern=r"^[-a-zA-Z0-9_]*$", description="tag slug"
    )
    programme: QueryId | None = Field(None, description="programme id")
    after: SearchDay | None = Field(None, description="from this day (included)")
    before: SearchDay | None = Field(None, description="until this day (included)")
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class SearchHitOut(Schema):
    kind: KindName
    id: int = Field(description="the session, material, transcript, idea or person id")
    session_id: int | None
    session_title: str | None
    date: dt.datetime | None
    title: str
    title_highlights: list[tuple[int, int]]
    snippet: str
    snippet_highlights: list[tuple[int, int]]
    score: float
    url: str = Field(description="the hit in the web UI (path)")


class SearchOut(Schema):
    query: str
    total: int = Field(description="matches, counted up to 1,000")
    more: bool = Field(description="more matches than counted")
    items: list[SearchHitOut]
    next_cursor: str | None = None


def unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Plain text and highlight offsets from the selector's escaped ``<mark>`` HTML."""
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for part in marked.replace("</mark>", "<mark>").split("<mark>"):
        chunk = html.unescape(part)
        if start is None:
            # Outside a mark: text, then the next part opens one.
            text.append(chunk)
            length += len(chunk)
            start = length
        else:
            text.append(chunk)
            length += len(chunk)
            if length > start:
                spans.append((start, length))
            start = None
    return "".join(text), spans


def _digest(params: SearchQuery) -> str:
    key = "|".join(
        str(v)
        for v in (
            params.q,
            params.kind,
            params.tag,
            params.programme,
            params.after,
            params.before,
            params.limit,
        )
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _page_from(params: SearchQuery) -> int:
    if not params.cursor:
        return 1
    try:
        payload = signing.loads(params.cursor, salt=SALT)
        if payload["d"] != _digest(params):
            raise ValueError("another query")
        page = int(payload["p"])
        if page < 2:
            raise ValueError("bad page")
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        raise ApiError(
            400,
            "invalid_cursor",
            _(
                "The cursor is invalid: pass the next_cursor of a previous page unchanged, "
                "with the same query and filters."
            ),
            {"cursor": [_("Invalid cursor.")]},
        ) from None
    return page


@router.get("", response={200: SearchOut, **ERRORS}, summary="Search")
def search_get(request: HttpRequest, params: Query[SearchQuery]) -> dict[str, Any]:
    """Sessions, materials, transcripts, ideas and people the caller may see, best first."""
    person = request.user
    page_number = _page_from(params)
    programme = None
    if params.programme is not None:
        programme = programmes_visible_to(person=person).filter(pk=params.programme).first()
        if programme is None:
            raise ApiError(
                400, "invalid", _("No such programme."), {"programme": [_("No such programme.")]}
            )
    data = SearchInput(
        q=params.q,
        kind=params.kind,
        tag=params.tag,
        programme=programme,
        after=params.after,
        before=params.before,
    )
    with timezone.override(person.tzinfo):
        result = search_input_run(
            person=person,
            data=input_valid(search_input_check, data),
            page=page_number,
            per_page=params.limit,
        )
    items = []
    # A page past the last (the results changed since the cursor was made) is empty.
    hits = result.hits if result.page == page_number else []
    for hit in hits:
        title, title_spans = unmark(str(hit.title_html))
        snippet, snippet_spans = unmark(str(hit.snippet_html))
        items.append(
            {
                "kind": hit.kind,
                "id": hit.object_id,
                "session_id": hit.session_id,
                "session_title": hit.session_title,
                "date": hit.date,
                "title": title,
                "title_highlights": title_spans,
                "snippet": snippet,
                "snippet_highlights": snippet_spans,
                "score": hit.score,
                "url": hit.url,
            }
        )
    next_cursor = None
    if hits and result.has_next:
        next_cursor = signing.dumps({"d": _digest(params), "p": page_number + 1}, salt=SALT)
    return {
        "query": params.q,
        "total": min(result.total, 1000),
        "more": result.more,
        "items": items,
        "next_cursor": next_cursor,
    }
