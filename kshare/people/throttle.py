"""Limits on guessing passwords and on password-reset mail, per account and per client address.

The rules (what GitLab, Discourse and django-axes do, in one small module):

- **Sign-in**: at most 5 failed sign-ins per e-mail address in 15 minutes, and 30 per client
  address (an office behind one NAT address shares that budget; an IPv6 client is counted by its
  /64 network, which one machine usually owns whole). The next attempt is refused *before* the
  password is checked, with the reason and the time to wait ("Too many failed sign-ins for this
  account. Try again in 14 minutes."), HTTP 429 and ``Retry-After``. A successful sign-in, and
  setting a new password through a reset link, clears the account's count.
- **Password reset**: at most 3 requests per e-mail address and 10 per client address in an
  hour, whether or not an account uses the address (so the limit tells nothing about accounts).

Windows slide: an attempt counts for exactly its window, and the wait is until the oldest
counted attempt leaves it. The count lives in the database (``AuthAttempt``), so every web
process and every machine shares it and a restart forgets nothing; the rows carry keyed hashes
of the addresses, never the addresses. An attempt is written *before* the password is checked
and then counted with the attempts before it (by id), so 100 simultaneous guesses get exactly
the allowed number through (on PostgreSQL the attempts on one key are written one at a time,
``_one_at_a_time``, so their ids follow the order they commit in); a refused attempt writes
nothing, so hammering a locked account
costs one read each. The e-mail address is counted as typed (normalised), so an address
without an account is limited exactly like one with an account.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kshare.people.models import AuthAttempt

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Action = AuthAttempt.Action
Scope = AuthAttempt.Scope


@dataclass(frozen=True)
class Limit:
    action: str
    scope: str
    count: int
    window: timedelta
    reason: StrOrPromise


SIGN_IN_LIMITS = (
    Limit(
        Action.SIGN_IN,
        Scope.ACCOUNT,
        5,
        timedelta(minutes=15),
        _("Too many failed sign-ins for this account."),
    ),
    Limit(
        Action.SIGN_IN,
        Scope.CLIENT,
        30,
        timedelta(minutes=15),
        _("Too many failed sign-ins from your network address."),
    ),
)
RESET_LIMITS = (
    Limit(
        Action.PASSWORD_RESET,
        Scope.ACCOUNT,
        3,
        timedelta(hours=1),
        _("Too many password reset requests for this address."),
    ),
    Limit(
        Action.PASSWORD_RESET,
        Scope.CLIENT,
        10,
        timedelta(hours=1),
        _("Too many password reset requests from your network address."),
    ),
)
# Rows older than the longest window count for nothing.
KEEP = max(limit.window for limit in SIGN_IN_LIMITS + RESET_LIMITS)


@dataclass(frozen=True)
class Lockout:
    limit: Limit
    wait: timedelta

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait, for the ``Retry-After`` header."""
        return max(1, math.ceil(self.wait.total_seconds()))

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.wait.total_seconds() / 60))
        wait = ngettext(
            "Try again in %(minutes)s minute.", "Try again in %(minutes)s minutes.", minutes
        ) % {"minutes": minutes}
        return f"{self.limit.reason} {wait}"


def client_address(request: HttpRequest | None) -> str:
    """The client's address as counted: IPv4 as is, IPv6 as its /64 network.

    ``REMOTE_ADDR`` is the real client's address (behind trusted proxies the server's
    middleware sets it); a request without one is counted under ``"unknown"``.
    """
    raw = (request.META.get("REMOTE_ADDR") or "") if request is not None else ""
    return address_counted(raw)


def address_counted(raw: str) -> str:
    """``client_address`` of a ``REMOTE_ADDR`` value."""
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def throttle_key(scope: str, value: str) -> str:
    """The keyed hash an e-mail address (``Scope.ACCOUNT``) or a counted client address is
    stored under."""
    if scope == Scope.ACCOUNT:
        value = value.strip().lower()
    return salted_hmac("kshare.people.throttle", f"{scope}:{value}", algorithm="sha256").hexdigest()


def throttle_keys(*, account: str, request: HttpRequest | None) -> dict[str, str]:
    """The hashed keys an attempt is counted under: the e-mail address and the client."""
    return {
        Scope.ACCOUNT: throttle_key(Scope.ACCOUNT, account),
        Scope.CLIENT: throttle_key(Scope.CLIENT, client_address(request)),
    }


def _times(limit: Limit, *, key: str, now: datetime, up_to_id: int | None = None) -> list:
    attempts = AuthAttempt.objects.filter(
        action=limit.action, scope=limit.scope, key=key, created_at__gt=now - limit.window
    )
    if up_to_id is not None:
        attempts = attempts.filter(pk__lte=up_to_id)
    return list(attempts.order_by("created_at", "pk").values_list("created_at", flat=True))


def _lockout(limit: Limit, *, times: list, now: datetime) -> Lockout | None:
    """Refused when the window already holds ``count`` attempts; the wait is until the oldest
    ones have left it and another fits."""
    if len(times) < limit.count:
        return None
    frees_at = times[len(times) - limit.count] + limit.window
    return Lockout(limit=limit, wait=max(frees_at - now, timedelta(seconds=1)))


def throttle_check(
    *, limits: tuple[Limit, ...], keys: dict[str, str], now: datetime | None = None
) -> Lockout | None:
    """The first limit that already refuses another attempt (reads only), else None."""
    now = now or timezone.now()
    for limit in limits:
        found = _lockout(limit, times=_times(limit, key=keys[limit.scope], now=now), now=now)
        if found is not None:
            return found
    return None


def throttle_hit(
    *, limits: tuple[Limit, ...], keys: dict[str, str], now: datetime | None = None
) -> tuple[list[int], Lockout | None]:
    """Record one attempt under every limit's key; returns the new rows' ids, and a lockout
    when more than ``count`` attempts, this one included, were recorded up to it (by id: of
    simultaneous attempts exactly the allowed number gets through).

    Refused here, the attempt stays recorded: it was one (another request got in first).
    """
    now = now or timezone.now()
    ids = []
    with transaction.atomic():
        _one_at_a_time([f"{limit.action}:{limit.scope}:{keys[limit.scope]}" for limit in limits])
        for limit in limits:
            row = AuthAttempt.objects.create(
                action=limit.action, scope=limit.scope, key=keys[limit.scope], created_at=now
            )
            ids.append(row.pk)
    for limit, row_id in zip(limits, ids, strict=True):
        key = keys[limit.scope]
        if len(_times(limit, key=key, now=now, up_to_id=row_id)) > limit.count:
            return ids, _lockout(limit, times=_times(limit, key=key, now=now), now=now)
    return ids, None


def _one_at_a_time(names: list[str]) -> None:
    """On PostgreSQL, waits for and holds (until the transaction ends) a lock per name.

    Counting "the attempts up to mine, by id" needs the ids to follow the order the rows become
    visible in. PostgreSQL hands out ids when a row is inserted, not when it commits: of two
    simultaneous attempts, the one with the higher id could commit and count before the lower
    one was visible, and both get through (twelve simultaneous guesses checked six passwords in
    one CI run). With the lock, an attempt on a key is inserted and committed before the next one
    is inserted. The names are locked in one order, so two requests never wait for each other's
    second lock. SQLite writes one transaction at a time anyway.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name in sorted(set(names)):
            digest = hashlib.sha256(f"kshare.throttle:{name}".encode()).digest()
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
            )


def throttle_allow(
    *, limits: tuple[Limit, ...], keys: dict[str, str], now: datetime | None = None
) -> tuple[list[int], Lockout | None]:
    """Check, and record the attempt when it is allowed: ``(ids, None)`` or ``([], lockout)``."""
    now = now or timezone.now()
    refused = throttle_check(limits=limits, keys=keys, now=now)
    if refused is not None:
        return [], refused
    return throttle_hit(limits=limits, keys=keys, now=now)


def throttle_forget(*, ids: list[int]) -> None:
    """Drop attempts that turned out not to count (the password was right)."""
    AuthAttempt.objects.filter(pk__in=ids).delete()


def throttle_clear(*, action: str, account: str) -> int:
    """Forget an account's attempts of ``action`` (after a successful sign-in or a new password)."""
    deleted, _ = AuthAttempt.objects.filter(
        action=action, scope=Scope.ACCOUNT, key=throttle_key(Scope.ACCOUNT, account)
    ).delete()
    return deleted


def auth_attempts_prune(*, now: datetime | None = None) -> int:
    """Delete attempts older than the longest window (periodic); returns how many."""
    now = now or timezone.now()
    deleted, _ = AuthAttempt.objects.filter(created_at__lte=now - KEEP).delete()
    return deleted
