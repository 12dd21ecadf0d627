"""kshare.web.bodylimit: bodies over a view's limit are refused before anything reads them.

The middleware is called as the WSGI server calls it (test_serve.py does it through gunicorn).
The body stream here fails the test when anything reads a refused body.
"""

from __future__ import annotations

import io
import json

import pytest
from django.test import override_settings
from django.urls import reverse

from kshare.web.bodylimit import BodyLimitMiddleware, limit_for


class Untouchable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("a refused body was read")


class App:
    """The application behind the middleware: records what it was given."""

    def __init__(self) -> None:
        self.environ: dict | None = None

    def __call__(self, environ, start_response):
        self.environ = environ
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def call(path: str, *, length: str | None = None, body=None, chunked: bool = False):
    app = App()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "wsgi.input": body if body is not None else Untouchable(),
    }
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    started: dict = {}

    def start_response(status, headers):
        started.update(status=status, headers=dict(headers))

    answer = b"".join(BodyLimitMiddleware(app)(environ, start_response))
    return started["status"], started["headers"], answer, app.environ


def test_a_body_over_the_limit_to_signin_is_refused_unread_with_a_short_page():
    status, headers, page, reached = call("/signin/", length=str(4 * 1024**3))
    assert (status, reached) == ("413 Content Too Large", None)
    assert headers == {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": str(len(page)),
        "X-Content-Type-Options": "nosniff",
    }
    assert b"<p>The request body is larger than this address accepts (3 MB), so it was not " in page


def test_a_body_within_the_limit_reaches_the_application_untouched():
    body = io.BytesIO(b"a=1")
    status, _headers, answer, reached = call("/signin/", length="3", body=body)
    assert (status, answer) == ("200 OK", b"ok")
    assert reached["wsgi.input"] is body


def test_the_api_is_answered_with_its_json_error_body():
    status, headers, answer, _ = call("/api/v1/sessions", length=str(10 * 1024**2))
    assert (status, headers["Content-Type"]) == ("413 Content Too Large", "application/json")
    assert json.loads(answer) == {
        "error": {
            "code": "too_large",
            "message": "The request body is larger than this address accepts (3 MB), so it "
            "was not read and nothing was saved.",
            "fields": {},
        }
    }


def test_a_content_length_that_is_no_number_is_a_bad_request():
    status, _headers, _answer, reached = call("/signin/", length="12abc")
    assert (status, reached) == ("400 Bad Request", None)


@override_settings(KSHARE_UPLOAD_MAX_VIDEO=50 * 1024**2, KSHARE_UPLOAD_MAX_OTHER=10 * 1024**2)
def test_the_material_upload_accepts_the_largest_material_and_refuses_more():
    path = reverse("library:add", args=[7, "recording"])
    allowed = 51 * 1024**2  # the file limit and 1 MB for the form around it
    assert limit_for(path) == allowed
    status, _headers, _answer, reached = call(path, length=str(allowed), body=io.BytesIO())
    assert (status, reached is not None) == ("200 OK", True)
    status, _headers, _answer, reached = call(path, length=str(allowed + 1))
    assert (status, reached) == ("413 Content Too Large", None)


@pytest.mark.parametrize(
    ("name", "args", "limit"),
    [
        ("library:transcript_edit", [3], 10 * 1024**2),
        ("people:import", [], 10 * 1024**2),
        ("login", [], 3 * 1024**2),
        ("library:media", [3], 3 * 1024**2),
    ],
)
def test_every_upload_view_names_its_limit_and_the_rest_have_the_small_one(name, args, limit):
    assert limit_for(reverse(name, args=args)) == limit


def test_an_unknown_address_has_the_small_limit():
    assert limit_for("/no/such/page/") == 3 * 1024**2


def test_a_chunked_body_within_the_limit_is_passed_on_with_its_length():
    status, _headers, _answer, reached = call("/signin/", body=io.BytesIO(b"a=1&b=2"), chunked=True)
    assert status == "200 OK"
    assert (reached["CONTENT_LENGTH"], reached["wsgi.input"].read()) == ("7", b"a=1&b=2")


def test_a_chunked_body_is_refused_as_soon_as_the_count_passes_the_limit():
    class Endless(io.RawIOBase):
        served = 0

        def read(self, size: int = -1) -> bytes:
            Endless.served += size
            if Endless.served > 64 * 1024**2:
                raise AssertionError("read on long after the limit")
            return b"x" * size

    status, _headers, _answer, reached = call("/signin/", body=Endless(), chunked=True)
    assert (status, reached) == ("413 Content Too Large", None)
    assert Endless.served <= 3 * 1024**2 + 64 * 1024
