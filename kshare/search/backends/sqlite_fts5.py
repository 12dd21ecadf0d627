"""Search on SQLite: the FTS5 table ``search_fts``, ranked with bm25 (title > tags > body)."""

from __future__ import annotations

from kshare.search.query import ParsedQuery, to_fts5
from kshare.search.services import MARK_END, MARK_START

# bm25 column weights, in the FTS5 table's column order: title, tags, body.
WEIGHTS = "10.0, 4.0, 1.0"
SNIPPET_TOKENS = 24

_FROM = (
    "FROM search_fts CROSS JOIN search_document ON search_document.id = search_fts.rowid "
    "WHERE search_fts MATCH %s AND "
)


def expression(parsed: ParsedQuery) -> str:
    return to_fts5(parsed)


def count(cursor, *, match: str, where: str, params: list, cap: int) -> int:
    # ``where`` is SQL compiled by Django with its own placeholders; values are parameters.
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 {_FROM}({where}) LIMIT %s)",  # noqa: S608
        [match, *params, cap],
    )
    return cursor.fetchone()[0]


def page(cursor, *, match: str, where: str, params: list, limit: int, offset: int) -> list:
    # Two steps: rank every match (cheap), then build snippets for the page's rows only —
    # SQLite would otherwise compute snippet() for every match before sorting.
    sql = (
        "SELECT search_document.id, search_document.kind, search_document.object_id, "  # noqa: S608
        "search_document.session_id, search_document.date, "
        "highlight(search_fts, 0, %s, %s), "
        f"snippet(search_fts, 2, %s, %s, '…', {SNIPPET_TOKENS}), "
        "hit.score, "
        "(SELECT s.title FROM talks_session s WHERE s.id = search_document.session_id) "
        "FROM ("
        f"SELECT search_fts.rowid AS id, bm25(search_fts, {WEIGHTS}) AS score {_FROM}({where}) "
        "ORDER BY score, search_fts.rowid LIMIT %s OFFSET %s"
        ") hit CROSS JOIN search_fts CROSS JOIN search_document "
        "ON search_fts.rowid = hit.id AND search_document.id = hit.id "
        "WHERE search_fts MATCH %s ORDER BY hit.score, hit.id"
    )
    cursor.execute(
        sql,
        [MARK_START, MARK_END, MARK_START, MARK_END, match, *params, limit, offset, match],
    )
    return cursor.fetchall()
