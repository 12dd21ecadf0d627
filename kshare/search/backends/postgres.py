"""Search on PostgreSQL: the generated ``search_vector`` column (GIN index), ranked with
``ts_rank`` weighted title (A) > tags (B) > body (C), snippets from ``ts_headline``."""

from __future__ import annotations

from kshare.search.backends import Filters
from kshare.search.query import ParsedQuery, to_tsquery
from kshare.search.services import MARK_END, MARK_START

CONFIG = "english"
# ts_rank weights are listed {D, C, B, A}: body C, tags B, title A.
WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# ts_headline reads the whole text it is given: long transcripts are cut for the snippet only.
HEADLINE_CHARS = 20_000
# At most this many matches are ranked (reading each one's vector): as many as the selector
# ever pages through (MAX_COUNT).
CANDIDATES = 1_000
TITLE_OPTIONS = f"HighlightAll=true, StartSel={MARK_START}, StopSel={MARK_END}"
BODY_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def expression(parsed: ParsedQuery, filters: Filters) -> str:
    return to_tsquery(parsed)


def _where(filters: Filters) -> tuple[str, list]:
    conditions = ["TRUE"]
    params: list = []
    if filters.access is not None:
        conditions.append(
            "(search_document.is_open OR string_to_array(search_document.meta, ' ') && %s::text[])"
        )
        params.append(filters.access.grants())
    if filters.kind:
        conditions.append("search_document.kind = %s")
        params.append(filters.kind)
    if filters.programme_id is not None:
        conditions.append("search_document.programme_id = %s")
        params.append(filters.programme_id)
    if filters.tag_id is not None:  # the tag tokens of the documents (see services._meta)
        conditions.append("string_to_array(search_document.meta, ' ') @> %s::text[]")
        params.append([f"tag{int(filters.tag_id)}"])
    if filters.after is not None:
        conditions.append("search_document.date >= %s")
        params.append(filters.after)
    if filters.before is not None:
        conditions.append("search_document.date < %s")
        params.append(filters.before)
    return " AND ".join(conditions), params


def count(cursor, *, match: str, filters: Filters, cap: int) -> int:
    where, params = _where(filters)
    cursor.execute(
        "SELECT count(*) FROM (SELECT 1 FROM search_document "  # noqa: S608 - fixed fragments
        f"WHERE search_document.search_vector @@ to_tsquery('{CONFIG}'::regconfig, %s) "
        f"AND {where} LIMIT %s) capped",
        [match, *params, cap],
    )
    return cursor.fetchone()[0]


def page(cursor, *, match: str, filters: Filters, limit: int, offset: int) -> list:
    where, params = _where(filters)
    sql = (
        f"WITH query AS (SELECT to_tsquery('{CONFIG}'::regconfig, %s) AS q) "  # noqa: S608
        "SELECT hit.id, hit.kind, hit.object_id, hit.session_id, hit.date, "
        f"ts_headline('{CONFIG}'::regconfig, hit.title, query.q, %s), "
        f"ts_headline('{CONFIG}'::regconfig, left(hit.body, {HEADLINE_CHARS}), query.q, %s), "
        "hit.score, (SELECT s.title FROM talks_session s WHERE s.id = hit.session_id) "
        "FROM ("
        "SELECT search_document.id, search_document.kind, search_document.object_id, "
        "search_document.session_id, search_document.date, search_document.title, "
        "search_document.body, "
        f"ts_rank('{WEIGHTS}'::float4[], search_document.search_vector, query.q) AS score "
        "FROM search_document, query WHERE search_document.id IN ("
        # Ranking every match of a common word reads every match's vector: at most CANDIDATES
        # matches (the first the index yields) are ranked — more than the selector pages through.
        # (The query is spelled out here, not taken from the CTE: with it in sight the planner
        # knows how common the words are and stops scanning at the limit.)
        "SELECT search_document.id FROM search_document WHERE search_document.search_vector "
        f"@@ to_tsquery('{CONFIG}'::regconfig, %s) AND {where} LIMIT {CANDIDATES}) "
        "ORDER BY score DESC, search_document.id LIMIT %s OFFSET %s"
        ") hit, query ORDER BY hit.score DESC, hit.id"
    )
    cursor.execute(sql, [match, TITLE_OPTIONS, BODY_OPTIONS, match, *params, limit, offset])
    return cursor.fetchall()
