"""One error format for the whole API: ``{"error": {"code", "message", "fields"}}``.

Every error path ends here: ``ApiError`` raised by the views, ninja's validation errors (422),
authentication (401), throttling (429), ``Http404`` (an invisible object is the same 404 as a
missing one), ``PermissionDenied`` (403) and Django ``ValidationError`` raised by the services
(400, or 409 when the service marks it with a code in ``CONFLICT_CODES``).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("kshare.api")

# Codes by status, used when no more specific code is given.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    500: "server_error",
    422: "validation_error",
    429: "rate_limited",
}
# The message of an error raised with a code and no message of its own, in the reader's language.
DEFAULT_MESSAGES = {
    "bad_request": gettext_lazy("Bad request."),
    "unauthorized": gettext_lazy("Unauthorized."),
    "forbidden": gettext_lazy("Forbidden."),
    "not_found": gettext_lazy("Not found."),
    "method_not_allowed": gettext_lazy("Method not allowed."),
    "conflict": gettext_lazy("Conflict."),
    "too_large": gettext_lazy("Too large."),
    "server_error": gettext_lazy("Server error."),
    "validation_error": gettext_lazy("Validation error."),
    "rate_limited": gettext_lazy("Rate limited."),
    "invalid": gettext_lazy("Invalid."),
    "invalid_state": gettext_lazy("Invalid state."),
    "error": gettext_lazy("Error."),
}
# Django ValidationError codes that mean "the request is fine but the object's state forbids it".
CONFLICT_CODES = {"conflict", "state", "invalid_state", "already", "duplicate", "unique"}


class ApiError(Exception):
    """Raise from any API view to answer with the error body."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str = "",
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code or DEFAULT_CODES.get(status, "error")
        default = DEFAULT_MESSAGES.get(self.code)
        # str(): the message leaves in JSON, in the language of the request that raised it.
        self.message = str(message or default or self.code.replace("_", " ").capitalize() + ".")
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(status, self.message)


# The one 401 body and challenge, whatever the reason (``api.auth`` explains why).
UNAUTHORIZED = gettext_lazy("Invalid or expired token.")
WWW_AUTHENTICATE = 'Bearer realm="kshare"'


def unauthorized() -> ApiError:
    """The one 401 of the API, whatever the reason."""
    return ApiError(
        401, "unauthorized", UNAUTHORIZED, headers={"WWW-Authenticate": WWW_AUTHENTICATE}
    )


def not_found(message: str = "") -> ApiError:
    """A 404; ``message`` is the whole translated sentence ("No such session.")."""
    return ApiError(404, "not_found", message or _("Not found."))


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def error_response(
    status: int,
    code: str | None = None,
    message: str = "",
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    err = ApiError(status, code, message, fields, headers)
    response = JsonResponse(error_body(err.code, err.message, err.fields), status=status)
    for name, value in err.headers.items():
        response[name] = value
    return response


def _field_name(loc: tuple | list, *, body_param: bool) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "__all__"
    source, rest = parts[0], parts[1:]
    # Body errors are at ("body", <parameter name>, <field>...): the parameter name is noise.
    if source == "body" and body_param and len(rest) > 1:
        rest = rest[1:]
    return ".".join(rest) or source


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for item in errors:
        name = _field_name(item.get("loc", ()), body_param=True)
        message = str(item.get("msg") or _("Invalid value."))
        # pydantic prefixes messages of custom validators with "Value error, ".
        message = message.removeprefix("Value error, ")
        fields.setdefault(name, []).append(message)
    return fields


def django_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("__all__" if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in exc.message_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def _django_status(exc: DjangoValidationError) -> int:
    codes: set[str] = set()
    if hasattr(exc, "error_dict"):
        for errors in exc.error_dict.values():
            codes.update(e.code or "" for e in errors)
    else:
        codes.update(e.code or "" for e in exc.error_list)
    return 409 if codes & CONFLICT_CODES else 400


def register_handlers(api: NinjaAPI) -> None:
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = validation_fields(exc.errors)
        names = ", ".join(sorted(fields)) or _("the request")
        return error_response(
            422, "validation_error", _("Invalid input: %(names)s.") % {"names": names}, fields
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, Throttled):
            headers = {}
            if exc.wait is not None:
                headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
            return error_response(
                429, "rate_limited", _("Too many requests; retry later."), headers=headers
            )
        if isinstance(exc, AuthenticationError):
            return on_api_error(request, unauthorized())
        if isinstance(exc, AuthorizationError):
            return error_response(403, "forbidden", str(exc))
        status = exc.status_code if 400 <= exc.status_code < 600 else 400
        return error_response(status, None, str(exc))

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", _("Not found."))

    def on_permission(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(403, "forbidden", str(exc) or _("You are not allowed to do that."))

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        status = _django_status(exc)
        fields = django_fields(exc)
        message = " ".join(m for messages in fields.values() for m in messages) or _("Invalid.")
        return error_response(status, None, message, fields)

    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            return error_response(413, "too_large", _("The request body is too large."))
        return error_response(400, "bad_request", _("Bad request."))

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        from kshare.web.busy import busy_response, database_busy

        if database_busy(exc):  # nothing was changed: 503 with Retry-After, not a 500
            return busy_response(request)
        # A bug: logged with its traceback (and mailed to admins by Django's logging if set up),
        # but the client still gets the one error format.
        logger.exception("Unexpected API error on %s %s", request.method, request.path)
        return error_response(500, "server_error", _("Something went wrong on our side."))

    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(SuspiciousOperation, on_suspicious)
    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(PermissionDenied, on_permission)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
