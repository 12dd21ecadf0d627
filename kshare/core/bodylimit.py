"""The per-view request body limit, as a mark on the view.

Views of any app (library uploads, the people CSV import) declare that they accept larger bodies
than ``settings.REQUEST_BODY_MAX`` with ``@request_body_max(...)``; the WSGI middleware that
enforces the limit before a byte is read lives with the web layer (``kshare/web/bodylimit.py``)
and reads the mark through ``view_body_max``. The mark is here so that the apps below the web
layer need not import it.
"""

from __future__ import annotations

from collections.abc import Callable

MARK = "request_body_max"


def request_body_max(limit: Callable[[], int]) -> Callable:
    """Mark a view as accepting request bodies up to ``limit()`` bytes (read per request).

    Apply it outermost, above ``csrf_exempt`` and the other decorators.
    """

    def mark(view: Callable) -> Callable:
        setattr(view, MARK, limit)
        return view

    return mark


def view_body_max(view: Callable) -> Callable[[], int] | None:
    """The limit a view was marked with, or None."""
    return getattr(view, MARK, None)
