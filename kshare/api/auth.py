"""Personal access tokens: ``Authorization: Bearer ksh_<secret>``.

Only the sha256 of the token is stored. Every refusal — no token, a malformed, unknown or
revoked one, a deactivated person — is the same 401 with the same body (``UNAUTHORIZED``), after
the same work: one sha256 and one query that only finds a usable token, so neither the answer
nor its timing tells an attacker which it was. Tokens carry 256 random bits, so guessing one is
hopeless and failed attempts are not counted (counting would add a database write per bad
request). Read tokens may only call safe methods: write operations call
``require_write(request)`` (a 403 error body). ``last_used_at`` is written at most once a minute.
Rate limiting is per token (``KSHARE_API_RATE``, e.g. ``600/minute``), 429 with Retry-After.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from kshare.api.errors import UNAUTHORIZED as UNAUTHORIZED
from kshare.api.errors import WWW_AUTHENTICATE as WWW_AUTHENTICATE
from kshare.api.errors import ApiError, unauthorized
from kshare.api.models import TOKEN_PREFIX, ApiToken, token_hash
from kshare.web.busy import database_busy

LAST_USED_EVERY = dt.timedelta(minutes=1)
TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9_-]{{20,100}}$")


# Hashed and looked up in place of a malformed token, so that it costs what an unknown one does.
_NO_TOKEN = TOKEN_PREFIX + "0" * 43


class TokenAuth(HttpBearer):
    """Bearer authentication with a personal access token; sets ``request.user``."""

    def __call__(self, request: HttpRequest):
        # A missing header takes the same path as a bad token: one answer, one amount of work.
        header = request.headers.get(self.header) or ""
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = ""
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        well_formed = bool(TOKEN_RE.match(token))
        found = (
            ApiToken.objects.select_related("person", "person__team")
            .filter(
                token_hash=token_hash(token if well_formed else _NO_TOKEN),
                revoked_at__isnull=True,
                person__is_active=True,
            )
            .first()
        )
        if found is None or not well_formed:
            raise unauthorized()
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY:
            try:
                ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
            except DatabaseError as exc:  # a busy database: a read still gets its answer
                if not database_busy(exc):
                    raise
            found.last_used_at = now
        request.user = found.person
        request.api_token = found  # type: ignore[attr-defined]
        return found


def require_write(request: HttpRequest) -> None:
    """Raise the 403 error body unless the request's token has the write scope."""
    token: ApiToken | None = getattr(request, "api_token", None)
    if token is None or not token.can_write:
        raise ApiError(
            403,
            "insufficient_scope",
            _("This token is read-only: create a token with the write scope to change data."),
        )


_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/minute"`` -> (600, 60). Raises ValueError for anything else."""
    count, _slash, period = rate.strip().partition("/")
    seconds = _PERIODS.get(period.strip().lower())
    if seconds is None or not count.strip().isdigit() or int(count) < 1:
        raise ValueError(
            f"Invalid rate {rate!r}: use <requests>/<second|minute|hour|day>, e.g. 600/minute."
        )
    return int(count), seconds


class TokenRateThrottle(BaseThrottle):
    """A fixed window per token in the cache: ``settings.KSHARE_API_RATE`` requests per period.

    Read on every request, so ``override_settings`` works in tests. The default cache is
    per process; with several processes behind a balancer each counts on its own.
    """

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "api_token", None)
        rate = getattr(settings, "KSHARE_API_RATE", "")
        if token is None or not rate:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        # The hash, not the id: ids can be reused (SQLite after a rollback), secrets are not.
        key = f"kshare-api-rate:{token.token_hash[:32]}:{period}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            count = 1
        return count <= limit

    def wait(self) -> float | None:
        # Seconds until the current window ends (no per-instance state: views run in threads).
        rate = getattr(settings, "KSHARE_API_RATE", "")
        if not rate:
            return None
        _count, period = parse_rate(rate)
        return period - (time.time() % period)
