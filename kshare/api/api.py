"""The REST API: one ``NinjaAPI`` mounted at ``/api/v1/`` (see ``urls()``).

Authentication: personal access tokens (``kshare.api.auth``); errors: ``kshare.api.errors``;
lists: ``kshare.api.pagination``. Routers live in ``kshare.api.routers`` (one module a resource).
The OpenAPI schema (``/api/v1/openapi.json``) and the interactive docs (``/api/v1/docs``, served
from local static files under the strict CSP) need no token.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase
from ninja.parser import Parser

from kshare.api.auth import TokenAuth, TokenRateThrottle
from kshare.api.errors import error_response, register_handlers


class LocalSwagger(DocsBase):
    """Swagger UI from ninja's bundled static files; settings in a JSON data block, no inline JS."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "persistAuthorization": False,
        }
        data = json.dumps(settings).replace("<", "\\u003c")
        return render(request, "api/docs.html", {"api": api, "swagger_settings": data})


class ObjectParser(Parser):
    """Every request body is a JSON object: ``"AAA"`` or ``42`` is a 400, not a value that
    pydantic reads attributes from (a string's ``.title()`` became a topic's title)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError(_("The request body must be a JSON object."))
        return data


# pydantic's names for numeric bounds, which django-ninja leaves in query and path parameters,
# and JSON Schema's: clients and Schemathesis read only the latter.
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _json_schema_bounds(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for name, keyword in _BOUNDS.items():
                if name in node:
                    node[keyword] = node.pop(name)
        for value in node.values():
            _json_schema_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _json_schema_bounds(value)


class KshareApi(NinjaAPI):
    """The schema states every bound the server enforces in JSON Schema's own words."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        _json_schema_bounds(schema)
        return schema


api = KshareApi(
    title="kshare API",
    version="1",
    description=(
        "The kshare REST API. Authenticate with a personal access token "
        "(`Authorization: Bearer ksh_...`, created under *API tokens* in the account menu). "
        'Errors are always `{"error": {"code", "message", "fields"}}`; lists are cursor-paginated '
        "(`?limit=` 1-100 and `?cursor=` from the previous page's `next_cursor`)."
    ),
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    docs=LocalSwagger(),
    parser=ObjectParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)
register_handlers(api)

from kshare.api.routers import register  # noqa: E402

register(api)


def _wrap(view):
    """Let API views through LoginRequiredMiddleware (tokens, not sessions, authenticate them)
    and answer 404/405 outside any operation with the error body too."""

    @functools.wraps(view, assigned=("__doc__",))
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(404, "not_found", _("Not found."))
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            error = error_response(
                405,
                "method_not_allowed",
                _("Method %(method)s not allowed.") % {"method": request.method},
            )
            if allowed:
                error["Allow"] = allowed
            return error
        return response

    return login_not_required(csrf_exempt(wrapped))


def _wrap_patterns(patterns: list) -> list:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _wrap_patterns(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = _wrap(pattern.callback)
    return patterns


@login_not_required
@csrf_exempt
def _unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", _("No such API endpoint."))


@functools.cache
def urls() -> tuple[list, str, str]:
    """``path("api/v1/", urls())`` in kshare/urls.py."""
    patterns, app_name, namespace = api.urls
    patterns = _wrap_patterns(list(patterns))
    patterns.append(re_path(r"^(?P<rest>.*)$", _unknown, name="unknown"))
    return patterns, app_name, namespace
