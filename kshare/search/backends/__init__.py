"""The two implementations of one search: SQLite FTS5 and PostgreSQL full-text.

Each backend gets the permission and filter conditions as SQL compiled by Django (a WHERE clause
over ``search_document``) and returns the total and one page of raw rows:
``(id, kind, object_id, session_id, date, title_marked, snippet_marked, score, session_title)``.
Highlights are marked with the private-use characters ``MARK_START``/``MARK_END``; the selector
escapes the text and only then turns them into ``<mark>`` elements.
"""

from __future__ import annotations

from typing import Protocol

Row = tuple


class Backend(Protocol):
    def count(self, cursor, *, match: str, where: str, params: list, cap: int) -> int: ...

    def page(
        self, cursor, *, match: str, where: str, params: list, limit: int, offset: int
    ) -> list[Row]: ...

    def expression(self, parsed) -> str: ...
