"""The two implementations of one search: SQLite FTS5 and PostgreSQL full-text.

Each backend gets the parsed query and the filters (the permission among them: the restricted
sessions the person may see) and returns the total and one page of raw rows:
``(id, kind, object_id, session_id, date, title_marked, snippet_marked, score, session_title)``.
Highlights are marked with the private-use characters ``MARK_START``/``MARK_END``; the selector
escapes the text and only then turns them into ``<mark>`` elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Filters:
    # None: every document (admins); otherwise open documents and those of these sessions.
    visible_sessions: tuple[int, ...] | None
    kind: str | None = None
    tag_id: int | None = None
    programme_id: int | None = None
    after: datetime | None = None
    before: datetime | None = None
