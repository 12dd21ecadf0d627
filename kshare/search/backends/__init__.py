"""The two implementations of one search: SQLite FTS5 and PostgreSQL full-text.

Each backend gets the parsed query and the filters (the permission among them: the restricted
sessions the person may see) and returns the total and one page of raw rows:
``(id, kind, object_id, session_id, date, title_marked, snippet_marked, score, session_title)``.
Highlights are marked with the private-use characters ``MARK_START``/``MARK_END``; the selector
escapes the text and only then turns them into ``<mark>`` elements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Access:
    """Who is searching, in the terms of ``sessions_visible_to``: their team, the sessions they
    host or are invited to, the programmes they organise."""

    team_id: int | None
    session_ids: tuple[int, ...]
    programme_ids: tuple[int, ...]

    def grants(self) -> list[str]:
        """The tokens that open a restricted document to this person (see services)."""
        tokens = [f"vis{self.team_id}"] if self.team_id is not None else []
        tokens += [f"sess{pk}" for pk in self.session_ids]
        tokens += [f"prog{pk}" for pk in self.programme_ids]
        return tokens


@dataclass(frozen=True)
class Filters:
    # None: every document (admins); otherwise what ``Access`` lets the person see.
    access: Access | None
    kind: str | None = None
    tag_id: int | None = None
    programme_id: int | None = None
    after: datetime | None = None
    before: datetime | None = None


def clamp_page(page: int, *, total: int, max_count: int, per_page: int) -> int:
    """``page`` within the pages of ``total`` matches (of which at most ``max_count`` are shown)."""
    last = max(1, math.ceil(min(total, max_count) / per_page))
    return max(1, min(page, last))
