"""HTML fragments kept in each process under a key of everything they show: the one way kshare
reuses rendered template output.

A fragment that many readers see alike (a session list's card, the site's navigation) is rendered
once per content and reused: its key holds every value the fragment shows and everything it is
shown in (language, time zone, the address prefix of its links), so a fragment whose content
changed gets a new key. A kept fragment is never stale and nothing has to be invalidated; the
bound (least recently used first out) keeps the memory small. The reader's own parts (a star, a
CSRF token, a name) are rendered around the fragment, never inside it.

Per process on purpose: rendering costs less than a round trip to a shared cache would.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import SafeString

_every: list[Kept] = []


class Kept:
    """At most ``limit`` fragments, the least recently used dropped first."""

    def __init__(self, name: str, *, limit: int) -> None:
        self.name = name
        self.limit = limit
        self._fragments: OrderedDict[Hashable, SafeString] = OrderedDict()
        self._lock = threading.Lock()
        _every.append(self)

    def get(self, key: Hashable, render: Callable[[], SafeString]) -> SafeString:
        """The fragment kept under ``key``, rendered by ``render`` first when there is none."""
        with self._lock:
            fragment = self._fragments.get(key)
            if fragment is not None:
                self._fragments.move_to_end(key)
                return fragment
        fragment = render()  # outside the lock: two threads may render the same one, harmlessly
        with self._lock:
            self._fragments[key] = fragment
            while len(self._fragments) > self.limit:
                self._fragments.popitem(last=False)
        return fragment

    def held_keys(self) -> list[Hashable]:
        """The keys kept, least recently used first."""
        with self._lock:
            return list(self._fragments)

    def forget(self) -> None:
        with self._lock:
            self._fragments.clear()


def shown_in(*, zone: bool = True) -> tuple[str | None, str, str]:
    """What a fragment is shown in: the active language, time zone (``zone=False`` for one that
    shows no time) and address prefix."""
    return (
        translation.get_language(),
        timezone.get_current_timezone_name() if zone else "",
        get_script_prefix(),
    )


def forget_all() -> None:
    """Empties every kept fragment of this process (tests)."""
    for kept in _every:
        kept.forget()
