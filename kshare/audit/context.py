"""The request being served, so that a change recorded deep in a service knows who made it.

``AuditMiddleware`` puts the request in a context variable for the request's duration
(threads and async tasks each see their own). Outside a request — a command, the worker — there
is none, and entries are recorded as the system's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from kshare.people.models import Person

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


# Who acts when it is not the request's user: erasing an account attributes what it changes to
# the admin who asked (or to the former member when the person deleted their own account).
current_actor: ContextVar[Person | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(person: Person | None) -> Iterator[None]:
    token = current_actor.set(person)
    try:
        yield
    finally:
        current_actor.reset(token)
