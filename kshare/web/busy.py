"""A database too busy to answer in time is a 503 with ``Retry-After``, never a 500.

SQLite has one writer at a time: a write waits up to the busy timeout (20 s, ``config.py``) for
the lock and then fails with "database is locked". PostgreSQL fails the same way when a lock is
not granted within ``lock_timeout`` (if an operator sets one), and aborts one side of a deadlock
or of a serialization conflict. In each case nothing of the request's transaction was kept
(kshare's writes are one ``transaction.atomic`` service each, and SQLite's ``BEGIN IMMEDIATE``
fails before the first write), so the honest answer is "busy, send it again": 503 with
``Retry-After``, a page that says so, or the API's JSON error body.

``DatabaseBusyMiddleware`` turns such an error raised by a view into that answer; the 500 handler
(``views.server_error``) does the same for one raised elsewhere (a middleware saving the
session), and the API's exception handlers call ``busy_response`` too.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from django.db import OperationalError
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds: about the time a burst of writes takes to drain
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
# lock_not_available, deadlock_detected, serialization_failure
POSTGRES_BUSY = {"55P03", "40P01", "40001"}
API_PREFIX = "/api/"


def database_busy(error: BaseException | None) -> bool:
    """True for "the database could not take this write in time", whatever the backend."""
    if not isinstance(error, DatabaseError):
        return False
    cause = error.__cause__ or error
    if isinstance(cause, sqlite3.OperationalError) or isinstance(error, OperationalError):
        text = str(cause).lower()
        if any(busy in text for busy in SQLITE_BUSY):
            return True
    return getattr(cause, "sqlstate", None) in POSTGRES_BUSY


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After``: the API's JSON error body, or a page saying to try again.

    The page is rendered without context processors or queries: the database is the problem.
    """
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {
                "error": {
                    "code": "busy",
                    "message": gettext(
                        "The database is busy and nothing was changed; "
                        "retry in %(seconds)s seconds."
                    )
                    % {"seconds": RETRY_AFTER},
                    "fields": {},
                }
            },
            status=503,
        )
    else:
        page = loader.get_template("web/503.html").render({})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    logger.warning("Database busy: 503 for %s %s", request.method, request.path)
    return response


class DatabaseBusyMiddleware:
    """``process_exception`` for a busy database (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return busy_response(request) if database_busy(exception) else None
