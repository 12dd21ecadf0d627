"""Search on SQLite: the FTS5 table ``search_fts``, ranked with bm25 (title > tags > body).

The user's query is confined to the text columns; the permission, type, programme and tag
filters are tokens of the ``meta`` column matched in the same expression, so FTS5 ranks and
filters without reading ``search_document`` rows. Only a date range reads them.
"""

from __future__ import annotations

from kshare.search.backends import Filters
from kshare.search.query import ParsedQuery, to_fts5
from kshare.search.services import MARK_END, MARK_START, RESTRICTED

# bm25 column weights, in the FTS5 table's column order: title, tags, body, meta (not ranked).
WEIGHTS = "10.0, 4.0, 1.0, 0.0"
SNIPPET_TOKENS = 24
# At most this many matches are ranked (the newest); more than the selector ever pages through.
CANDIDATES = 2_000


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


def _parts(match: str, filters: Filters) -> list[tuple[str, list]]:
    """``(FROM … WHERE …, params)`` of the query: FTS5 alone, plus a join for a date range."""
    dates, params = [], []
    if filters.after is not None:
        dates.append(" AND search_document.date >= %s")
        params.append(filters.after)
    if filters.before is not None:
        dates.append(" AND search_document.date < %s")
        params.append(filters.before)
    join = " CROSS JOIN search_document ON search_document.id = search_fts.rowid" if dates else ""
    if filters.access is not None:
        # Restricted documents without one of the person's grants are left out. (NOT walks the
        # short "restr" list; an AND with "everything open" would walk a list of every document.)
        grants = filters.access.grants()
        hidden = (
            f"(meta : {RESTRICTED} NOT meta : ({' OR '.join(grants)}))"
            if grants
            else (f"meta : {RESTRICTED}")
        )
        match = f"({match}) NOT {hidden}"
    return [(f"FROM search_fts{join} WHERE search_fts MATCH %s{''.join(dates)}", [match, *params])]


def count(cursor, *, match: str, filters: Filters, cap: int) -> int:
    parts = _parts(match, filters)
    union = " UNION ALL ".join(f"SELECT 1 {sql}" for sql, _ in parts)
    cursor.execute(
        f"SELECT count(*) FROM ({union} LIMIT %s)",  # noqa: S608 - fixed SQL fragments
        [*(p for _, params in parts for p in params), cap],
    )
    return cursor.fetchone()[0]


def page(cursor, *, match: str, filters: Filters, limit: int, offset: int) -> list:
    # Two steps: rank the matches, then build snippets for the page's rows only — SQLite would
    # otherwise compute snippet() for every match before sorting.
    parts = _parts(match, filters)
    # Ranking every match of a common word costs more than 100 ms at 100,000 documents: the
    # CANDIDATES most recently indexed matches are ranked (in rowid order FTS5 stops early).
    union = " UNION ALL ".join(
        "SELECT id, score FROM (SELECT search_fts.rowid AS id, "  # noqa: S608
        f"bm25(search_fts, {WEIGHTS}) AS score {sql} "
        f"ORDER BY search_fts.rowid DESC LIMIT {CANDIDATES})"
        for sql, _ in parts
    )
    sql = (
        "SELECT search_document.id, search_document.kind, search_document.object_id, "  # noqa: S608
        "search_document.session_id, search_document.date, "
        "highlight(search_fts, 0, %s, %s), "
        f"snippet(search_fts, 2, %s, %s, '…', {SNIPPET_TOKENS}), "
        "hit.score, "
        "(SELECT s.title FROM talks_session s WHERE s.id = search_document.session_id) "
        f"FROM (SELECT id, score FROM ({union}) ORDER BY score, id LIMIT %s OFFSET %s) hit "
        "CROSS JOIN search_fts CROSS JOIN search_document "
        "ON search_fts.rowid = hit.id AND search_document.id = hit.id "
        "WHERE search_fts MATCH %s ORDER BY hit.score, hit.id"
    )
    cursor.execute(
        sql,
        [
            MARK_START,
            MARK_END,
            MARK_START,
            MARK_END,
            *(p for _, params in parts for p in params),
            limit,
            offset,
            match,
        ],
    )
    return cursor.fetchall()
