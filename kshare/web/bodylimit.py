"""Request bodies are refused by their size before anyone reads them.

A WSGI middleware (``kshare/wsgi.py`` wraps the Django application in it) answers 413 with a
short page when a request announces a body larger than its view allows, before a byte of that
body is read: a 4 GB ``POST /signin/`` is refused at once instead of being spooled to disk.
Every view allows ``settings.REQUEST_BODY_MAX`` (a few MB: forms are text); the upload views
(material files, transcripts, the people CSV import) allow more, each by the
``@request_body_max(...)`` decorator (``kshare/core/bodylimit.py``), and stream what they accept.

A chunked body (no ``Content-Length``) is counted while it is read: past the view's limit the
request is refused the same way; within it, the body is handed to Django with its length (Django
reads only bodies with a ``Content-Length``). Small bodies stay in memory, larger ones in a
temporary file.

This lives at the WSGI level, not in Django's middleware, so that nothing in Django (the CSRF
middleware reads ``request.POST``) can touch the body first, whatever server runs kshare.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import get_path_info
from django.urls import Resolver404, resolve
from django.utils.html import escape

from kshare.core.bodylimit import request_body_max, view_body_max

__all__ = ["BodyLimitMiddleware", "limit_for", "request_body_max"]

SPOOL_IN_MEMORY = 1024 * 1024
READ_CHUNK = 64 * 1024

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Too large</title></head>
<body><h1>That was too much</h1><p>{text}</p></body></html>
"""


def limit_for(path_info: str) -> int:
    """The largest body the view at ``path_info`` accepts."""
    try:
        match = resolve(path_info)
    except Resolver404:
        return settings.REQUEST_BODY_MAX
    limit = view_body_max(match.func)
    return max(limit(), settings.REQUEST_BODY_MAX) if limit else settings.REQUEST_BODY_MAX


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"


class BodyLimitMiddleware:
    """WSGI middleware: 413 for bodies over the view's limit, decided before reading them."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        raw_length = (environ.get("CONTENT_LENGTH") or "").strip()
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if raw_length:
            if not raw_length.isdigit():
                return self._refuse(environ, start_response, 400, "bad_request", None)
            length = int(raw_length)
            # The common case (no body, a form) costs no URL resolution.
            if length <= settings.REQUEST_BODY_MAX:
                return self.app(environ, start_response)
            limit = limit_for(get_path_info(environ))
            if length > limit:
                return self._refuse(environ, start_response, 413, "too_large", limit)
            return self.app(environ, start_response)
        if chunked:
            limit = limit_for(get_path_info(environ))
            body = self._read_counted(environ["wsgi.input"], limit)
            if body is None:
                return self._refuse(environ, start_response, 413, "too_large", limit)
            environ["wsgi.input"] = body
            environ["CONTENT_LENGTH"] = str(body.seek(0, io.SEEK_END))
            body.seek(0)
        return self.app(environ, start_response)

    @staticmethod
    def _read_counted(stream: Any, limit: int) -> Any:
        """The whole body in a file-like object, or None as soon as it passes ``limit``."""
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        received = 0
        while True:
            data = stream.read(READ_CHUNK)
            if not data:
                return spool
            received += len(data)
            if received > limit:
                spool.close()
                return None
            spool.write(data)

    @staticmethod
    def _refuse(
        environ: dict[str, Any], start_response: Callable, status: int, code: str, limit: int | None
    ) -> list[bytes]:
        if limit is None:
            text = "The request's Content-Length header is not a number."
        else:
            text = (
                f"The request body is larger than this address accepts ({_megabytes(limit)}), "
                "so it was not read and nothing was saved."
            )
        if get_path_info(environ).startswith("/api/"):
            body = json.dumps({"error": {"code": code, "message": text, "fields": {}}}).encode()
            content_type = "application/json"
        else:
            body = PAGE.format(text=escape(text)).encode()
            content_type = "text/html; charset=utf-8"
        reason = "Content Too Large" if status == 413 else "Bad Request"
        start_response(
            f"{status} {reason}",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]
