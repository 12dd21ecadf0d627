"""The request being served, so that a change recorded deep in a service knows who made it.

``AuditMiddleware`` puts the request in a context variable for the request's duration
(threads and async tasks each see their own). Outside a request — a command, the worker — there
is none, and entries are recorded as the system's.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
