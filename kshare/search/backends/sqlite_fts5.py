"""Search on SQLite: the FTS5 table ``search_fts``, ranked with bm25 (title > tags > body).

The user's query is confined to the text columns; the permission, type, programme and tag
filters are tokens of the ``meta`` column matched in the same expression, so FTS5 ranks and
filters without reading ``search_document`` rows. Only a date range reads them.
"""

from __future__ import annotations

from kshare.search.backends import Filters
from kshare.search.query import ParsedQuery, to_fts5
from kshare.search.services import MARK_END, MARK_START
from kshare.visibility.rules import RESTRICTED

# bm25 column weights, in the FTS5 table's column order: title, tags, body, meta (not ranked).
WEIGHTS = "10.0, 4.0, 1.0, 0.0"
SNIPPET_TOKENS = 24
# At most this many matches are ranked (the newest): as many as the selector ever pages through
# (MAX_COUNT).
CANDIDATES = 1_000


def expression(parsed: ParsedQuery, filters: Filters) -> str:
    """The user's query on the text columns, with the type/programme/tag filter tokens."""
    parts = ["{title tags body} : (" + to_fts5(parsed) + ")"]
    if filters.kind:
        parts.append(f"meta : kind{_word(filters.kind)}")
    if filters.programme_id is not None:
        parts.append(f"meta : prog{int(filters.programme_id)}")
    if filters.tag_id is not None:
        parts.append(f"meta : tag{int(filters.tag_id)}")
    return " AND ".join(parts)


def _word(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _source(match: str, filters: Filters) -> tuple[str, list]:
    """``(FROM … WHERE …, params)`` of the matches: FTS5 alone, plus a join for a date range."""
    dates, params = [], []
    if filters.after is not None:
        dates.append(" AND search_document.date >= %s")
        params.append(filters.after)
    if filters.before is not None:
        dates.append(" AND search_document.date < %s")
        params.append(filters.before)
    join = " CROSS JOIN search_document ON search_document.id = search_fts.rowid" if dates else ""
    return f"FROM search_fts{join} WHERE search_fts MATCH %s{''.join(dates)}", [
        restricted(match, filters),
        *params,
    ]


def restricted(match: str, filters: Filters) -> str:
    """``match`` without the restricted documents the person has no grant for."""
    if filters.access is None:
        return match
    # (NOT walks the short "restr" list; an AND with "everything open" would walk a list of
    # every document.)
    grants = filters.access.grants()
    hidden = (
        f"(meta : {RESTRICTED} NOT meta : ({' OR '.join(grants)}))"
        if grants
        else (f"meta : {RESTRICTED}")
    )
    return f"({match}) NOT {hidden}"


def count(cursor, *, match: str, filters: Filters, cap: int) -> int:
    source, params = _source(match, filters)
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 {source} LIMIT %s)",  # noqa: S608 - fixed fragments
        [*params, cap],
    )
    return cursor.fetchone()[0]


def search(
    cursor, *, match: str, filters: Filters, cap: int, max_count: int, per_page: int, page: int
) -> tuple[int, list]:
    """The number of matches (up to ``cap``) and one page of them (clamped to the last page).

    One walk over the newest ``cap`` matches counts them and ranks the first ``CANDIDATES``
    (FTS5 yields them in rowid order and stops at the limit; ranking every match of a common
    word costs more than 100 ms at 100,000 documents). Only the page's rows get highlights and
    snippets, in one more pass over the matches between the page's first and last rowid (FTS5
    seeking each row by rowid would evaluate the whole query once per row — a prefix query's
    term lists merged twenty times); CROSS JOIN keeps that order. With no row on the page (no
    match, or a page past the ranked candidates) the matches are counted on their own.
    """
    source, params = _source(match, filters)
    sql = (
        "WITH candidate AS MATERIALIZED (SELECT search_fts.rowid AS id, "  # noqa: S608
        f"bm25(search_fts, {WEIGHTS}) AS score {source} "
        "ORDER BY search_fts.rowid DESC LIMIT %s), "
        "total AS MATERIALIZED (SELECT count(*) AS n FROM candidate), "
        f"hit AS MATERIALIZED (SELECT id, score FROM (SELECT id, score FROM candidate "
        f"LIMIT {CANDIDATES}) ORDER BY score, id LIMIT %s "
        "OFFSET (SELECT min(%s, (max((min(n, %s) + %s - 1) / %s, 1) - 1) * %s) FROM total)) "
        "SELECT (SELECT n FROM total), search_document.id, search_document.kind, "
        "search_document.object_id, search_document.session_id, search_document.date, "
        "highlight(search_fts, 0, %s, %s), "
        f"snippet(search_fts, 2, %s, %s, '…', {SNIPPET_TOKENS}), "
        "hit.score, "
        "(SELECT s.title FROM talks_session s WHERE s.id = search_document.session_id) "
        "FROM search_fts CROSS JOIN hit CROSS JOIN search_document "
        "ON hit.id = search_fts.rowid AND search_document.id = search_fts.rowid "
        "WHERE search_fts MATCH %s AND search_fts.rowid "
        "BETWEEN (SELECT min(id) FROM hit) AND (SELECT max(id) FROM hit) "
        "ORDER BY hit.score, hit.id"
    )
    offset = (page - 1) * per_page
    cursor.execute(
        sql,
        [
            *params,
            cap,
            per_page,
            offset,
            max_count,
            per_page,
            per_page,
            per_page,
            MARK_START,
            MARK_END,
            MARK_START,
            MARK_END,
            restricted(match, filters),
        ],
    )
    rows = cursor.fetchall()
    if rows:
        return rows[0][0], [row[1:] for row in rows]
    return count(cursor, match=match, filters=filters, cap=cap), []
