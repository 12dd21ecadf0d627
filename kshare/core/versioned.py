"""Values cached under a version token: the one way kshare caches a figure computed over many rows.

One cache entry holds the current version (a random token); every value is cached under a key
that contains it. ``changed`` replaces the token, so nothing cached under the old one is read
again (it expires after ``timeout``, which also bounds a change no code path announces, such as
raw SQL). The token is replaced at once, so the writing transaction reads its own change, and
again after commit, because a request that read the new token before the commit may have cached
a figure computed from the old rows. Used by the people directory's common skills and the
feedback app's overall ratings; the default cache is shared by every process (``CACHE_URL``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import cast

from django.core.cache import cache
from django.db import connection, transaction


class Versioned:
    """Figures cached under ``<prefix>:<version>:<name>``; the version lives in
    ``<prefix>:version``."""

    def __init__(self, prefix: str, *, timeout: int = 60 * 60) -> None:
        self.prefix = prefix
        self.version_key = f"{prefix}:version"
        self.timeout = timeout

    def changed(self) -> None:
        """Make every value cached so far stale: now, and again once the transaction commits."""

        def replace() -> None:
            cache.set(self.version_key, uuid.uuid4().hex, None)

        replace()
        if connection.in_atomic_block:
            transaction.on_commit(replace, robust=True)

    def get[T](self, compute: Callable[[], T], name: str = "") -> T:
        """``compute()``, cached under the current version (``name`` tells figures apart)."""
        version = cache.get(self.version_key)
        if version is None:
            cache.add(self.version_key, uuid.uuid4().hex, None)
            version = cache.get(self.version_key)
        key = f"{self.prefix}:{version}:{name}"
        value = cache.get(key) if version is not None else None
        if value is None:
            value = compute()
            if version is not None:
                cache.set(key, value, self.timeout)
        return cast(T, value)
