"""Search on PostgreSQL: the generated ``search_vector`` column (GIN index), ranked with
``ts_rank`` weighted title (A) > tags (B) > body (C), snippets from ``ts_headline``.

The vector also holds the document's filter tokens (``meta``, each behind a ``~`` that no user
query can produce, see migration 0005): the permission, type, programme and tag filters are
ANDed into the user's tsquery, so one exact GIN lookup answers the words and the filters
together. The statement runs without sequential scans (``search``): the planner would otherwise
read the table in order, hoping to meet ``LIMIT`` rows early. The index part is fenced (a
``MATERIALIZED`` CTE): at most ``CANDIDATES`` matches are read and ranked, and only the page's
rows get headlines.
"""

from __future__ import annotations

from django.db import connection

from kshare.search.backends import Filters
from kshare.search.query import ParsedQuery, to_tsquery
from kshare.search.services import MARK_END, MARK_START
from kshare.visibility.rules import RESTRICTED

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
# The user's words (an immutable function of constants: the planner sees the lexemes) and the
# filter tokens, one tsquery. An empty word query (only stop words) matches nothing: without the
# guard, ``&&`` would leave the filters alone and match every document they allow.
_WORDS = f"to_tsquery('{CONFIG}'::regconfig, %s)"
_MATCH = f"search_document.search_vector @@ ({_WORDS} && %s::tsquery) AND numnode({_WORDS}) > 0"
_MATCH_WORDS = f"search_document.search_vector @@ {_WORDS}"  # no filter (an admin's search)


def expression(parsed: ParsedQuery, filters: Filters) -> str:
    return to_tsquery(parsed)


def _token(name: str) -> str:
    """A filter token as a tsquery operand (``name`` is letters and digits only)."""
    return "'~" + "".join(ch for ch in name if ch.isalnum()) + "'"


def filter_query(filters: Filters) -> str:
    """The filters as a tsquery over the ``~`` tokens (an empty string: no filter)."""
    parts = []
    if filters.access is not None:
        # Restricted documents need one of the person's grants (see services._meta).
        grants = [_token(grant) for grant in filters.access.grants()]
        parts.append("(" + " | ".join([f"!{_token(RESTRICTED)}", *grants]) + ")")
    if filters.kind:
        parts.append(_token(f"kind{filters.kind}"))
    if filters.programme_id is not None:
        parts.append(_token(f"prog{int(filters.programme_id)}"))
    if filters.tag_id is not None:
        parts.append(_token(f"tag{int(filters.tag_id)}"))
    return " & ".join(parts)


def _where(match: str, filters: Filters) -> tuple[str, list]:
    tokens = filter_query(filters)
    conditions = [_MATCH if tokens else _MATCH_WORDS]
    params: list = [match, tokens, match] if tokens else [match]
    if filters.after is not None:
        conditions.append("search_document.date >= %s")
        params.append(filters.after)
    if filters.before is not None:
        conditions.append("search_document.date < %s")
        params.append(filters.before)
    return " AND ".join(conditions), params


def search(
    cursor, *, match: str, filters: Filters, cap: int, max_count: int, per_page: int, page: int
) -> tuple[int, list]:
    """The number of matches (up to ``cap``) and one page of them, in one statement.

    One GIN lookup serves both: up to ``cap`` matches are read (each ranked as it is read), the
    first ``CANDIDATES`` of them are sorted, and the page (clamped to the last one, as the
    selector clamps it) gets headlines. With no row on the page the one row holds the total and
    NULLs.
    """
    where, params = _where(match, filters)
    sql = (
        f"WITH candidate AS MATERIALIZED (SELECT search_document.id, "  # noqa: S608
        f"ts_rank('{WEIGHTS}'::float4[], search_document.search_vector, {_WORDS}) AS score "
        f"FROM search_document WHERE {where} LIMIT %s), "
        "total AS (SELECT count(*) AS n FROM candidate), "
        # Ranking every match of a common word reads every match's vector: at most CANDIDATES
        # matches (the first the index yields) are ranked — as many as the selector pages
        # through.
        f"hit AS MATERIALIZED (SELECT id, score FROM (SELECT id, score FROM candidate "
        f"LIMIT {CANDIDATES}) ranked ORDER BY score DESC, id LIMIT %s "
        "OFFSET (SELECT LEAST(%s, (GREATEST(CEIL(LEAST(n, %s) / %s::numeric), 1) - 1) * %s)"
        "::bigint FROM total)) "
        # Headlines for the page's rows only.
        "SELECT total.n, d.id, d.kind, d.object_id, d.session_id, d.date, "
        f"ts_headline('{CONFIG}'::regconfig, d.title, {_WORDS}, %s), "
        f"ts_headline('{CONFIG}'::regconfig, left(d.body, {HEADLINE_CHARS}), {_WORDS}, %s), "
        "hit.score, (SELECT s.title FROM talks_session s WHERE s.id = d.session_id) "
        "FROM total LEFT JOIN (hit JOIN search_document d ON d.id = hit.id) ON TRUE "
        "ORDER BY hit.score DESC, hit.id"
    )
    offset = (page - 1) * per_page
    parameters = [match, *params, cap, per_page, offset, max_count, per_page, per_page]
    parameters += [match, TITLE_OPTIONS, match, BODY_OPTIONS]
    # The planner prices ``@@`` as cheap and, hoping to meet the LIMIT early, prefers reading the
    # table in order and unpacking every vector to the index for all but rare words (three to ten
    # times slower on 100,000 documents). The index is always the better way in: it answers the
    # words and filters exactly, so rows are read only for matches. One round trip: outside a
    # transaction the three statements run as one implicit transaction, which SET LOCAL lasts;
    # inside the caller's, the last one puts the setting back. Several statements in one string
    # go only without parameters (PostgreSQL's simple protocol; the connections bind parameters
    # on the server, kshare/config.py), so the values are written into the text here, quoted by
    # psycopg as its client-side cursors do.
    cursor.execute(
        connection.ops.compose_sql(  # type: ignore[attr-defined]  # PostgreSQL's operations
            f"SET LOCAL enable_seqscan = off; {sql}; SET LOCAL enable_seqscan = DEFAULT",
            parameters,
        )
    )
    cursor.nextset()  # the SELECT's rows
    rows = cursor.fetchall()
    total = rows[0][0] if rows else 0
    return total, [row[1:] for row in rows if row[1] is not None]
