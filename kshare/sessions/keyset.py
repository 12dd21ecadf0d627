"""Keyset pages for the upcoming list: ``?after=`` / ``?before=`` a (start, id) position.

A numbered page needs the number of visible sessions, and counting them tests the visibility
rule on every upcoming session of the organisation (15 of 19 ms of the page's SQL on the
5,000-person demo). A keyset page reads the ``(state, start)`` index from a position and stops
after one page and one row, whatever the number of sessions; "Previous" reads backwards.
The position is plain (``<start in µs since the epoch>.<id>``): it selects where to start, never
what may be seen, so a hand-made one only shows another part of the same visible list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from kshare.sessions.models import Session

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class KeysetPage:
    sessions: list[Session]
    next_after: str | None  # the ?after= of the next page, None on the last
    previous_before: str | None  # the ?before= of the page before, None on the first


def position(session: Session) -> str:
    assert session.start is not None
    delta = session.start - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}.{session.pk}"


def _parse(raw: str | None) -> tuple[dt.datetime, int] | None:
    """``(start, id)`` of a position, or None for a missing or malformed one (the first page)."""
    if not raw or len(raw) > 40:
        return None
    micros, _, pk = raw.partition(".")
    try:
        start = EPOCH + dt.timedelta(microseconds=int(micros))
        return start, int(pk)
    except (ValueError, OverflowError):
        return None


def keyset_page(
    sessions: QuerySet[Session], *, after: str | None, before: str | None, size: int
) -> KeysetPage:
    """One page of ``sessions`` (dated ones, ordered by start then id) after or before a
    position; the first page when neither is given or valid."""
    back = _parse(before) if not after else None
    forward = _parse(after)
    if back is not None:
        start, pk = back
        rows = list(
            sessions.filter(
                Q(start__lt=start) | Q(start=start, pk__lt=pk), start__lte=start
            ).order_by("-start", "-id")[: size + 1]
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        if not more_before:
            # Back at the beginning: show a full first page, as the first page itself does.
            return keyset_page(sessions, after=None, before=None, size=size)
        return KeysetPage(
            sessions=rows,
            next_after=position(rows[-1]) if rows else None,
            previous_before=position(rows[0]),
        )
    if forward is not None:
        start, pk = forward
        sessions = sessions.filter(Q(start__gt=start) | Q(start=start, pk__gt=pk), start__gte=start)
    rows = list(sessions.order_by("start", "id")[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        sessions=rows,
        next_after=position(rows[-1]) if has_next else None,
        previous_before=position(rows[0]) if forward is not None and rows else None,
    )
