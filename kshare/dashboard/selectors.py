"""Reading the dashboard: who may see it, and the figures through the cache.

Cache rule: a figure is cached (the "dashboard" cache of settings.CACHES, a database table shared
by every process and the task worker) under
``dashboard:<token>.<version>.<max invitation id>.<max feedback request id>:<filters>:<name>``.
The version is the ``DataVersion`` row, bumped after commit by every save or delete of a row the
figures read (``kshare.dashboard.signals``); the two largest ids catch the rows the services
bulk-create (bulk writes send no signals). Entries also
expire after ``CACHE_SECONDS`` (the backstop for writes that bypass the ORM's signals).

The page may show figures up to ``STALE_SECONDS`` old while they are recomputed: each computed
figure is also kept under a version-less "latest" key; when the version has moved on, the page
(``stale_ok=True``) shows the latest figure, marked ``stale``, and enqueues
``dashboard_refresh_task`` (once per version and filters) to compute the current one, so a write
never makes an organiser wait for a full recomputation. The CSV exports and the API always
compute at the current version.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from kshare.dashboard.figures import FIGURES, FigureResult, Filters
from kshare.dashboard.models import DataVersion
from kshare.feedback.models import FeedbackRequest
from kshare.people.models import Person
from kshare.sessions.models import Invitation

CACHE_SECONDS = 15 * 60
CACHE_ALIAS = "dashboard"  # a database table: shared by every process and the task worker
STALE_SECONDS = 10 * 60
LATEST_SECONDS = 24 * 60 * 60


def _cache() -> BaseCache:
    return caches[CACHE_ALIAS]


def dashboard_allowed(person: Person) -> bool:
    """Organisers and admins see the dashboard; members do not."""
    return bool(person.is_authenticated and person.is_organiser)


def data_version() -> str:
    """The current data version as a cache-key fragment (three small queries)."""
    row = DataVersion.objects.filter(pk=1).values_list("token", "value").first()
    if row is None:
        try:
            with transaction.atomic():
                created = DataVersion.objects.create(pk=1, token=uuid.uuid4().hex, value=0)
            row = (created.token, created.value)
        except IntegrityError:  # created by a concurrent request meanwhile
            row = DataVersion.objects.filter(pk=1).values_list("token", "value").get()
    invitations = Invitation.objects.aggregate(n=Max("id"))["n"] or 0
    requests = FeedbackRequest.objects.aggregate(n=Max("id"))["n"] or 0
    return f"{row[0]}.{row[1]}.{invitations}.{requests}"


def _latest_key(filters: Filters, name: str) -> str:
    return f"dashboard:latest:{filters.key()}:{name}"


def figures_cached(
    filters: Filters, *, names: Iterable[str] | None = None, stale_ok: bool = False
) -> dict[str, FigureResult]:
    """The named figures (all by default, in page order) for ``filters``.

    Misses are computed now, unless ``stale_ok`` and a figure computed less than
    ``STALE_SECONDS`` ago exists: then that one is returned (``stale=True``) and a refresh task
    is enqueued.
    """
    wanted = list(FIGURES) if names is None else list(names)
    version = data_version()
    prefix = f"dashboard:{version}:{filters.key()}:"
    found = _cache().get_many([prefix + name for name in wanted])
    results: dict[str, FigureResult] = {}
    absent = [name for name in wanted if prefix + name not in found]
    stale: dict[str, FigureResult] = {}
    if absent and stale_ok:
        latest = _cache().get_many([_latest_key(filters, name) for name in absent])
        oldest = timezone.now() - timedelta(seconds=STALE_SECONDS)
        for name in absent:
            result = latest.get(_latest_key(filters, name))
            if result is not None and result.computed_at and result.computed_at >= oldest:
                stale[name] = dataclasses.replace(result, stale=True)
        if stale and _cache().add(f"dashboard:refreshing:{version}:{filters.key()}", 1, 120):
            from kshare.dashboard.tasks import dashboard_refresh_task

            dashboard_refresh_task.enqueue(
                filters.programme_id, filters.team_id, str(filters.start), str(filters.end)
            )
    computed = _compute(filters, prefix, [n for n in absent if n not in stale])
    for name in wanted:
        results[name] = found.get(prefix + name) or stale.get(name) or computed[name]
    return results


def _compute(filters: Filters, prefix: str, names: list[str]) -> dict[str, FigureResult]:
    computed = {}
    for name in names:
        result = FIGURES[name].compute(filters)
        computed[name] = dataclasses.replace(result, computed_at=timezone.now())
    if computed:
        _cache().set_many({prefix + name: r for name, r in computed.items()}, CACHE_SECONDS)
        _cache().set_many(
            {_latest_key(filters, name): r for name, r in computed.items()}, LATEST_SECONDS
        )
    return computed


def figures_refresh(filters: Filters) -> int:
    """Compute and cache every figure missing at the current version; returns how many."""
    prefix = f"dashboard:{data_version()}:{filters.key()}:"
    found = _cache().get_many([prefix + name for name in FIGURES])
    return len(_compute(filters, prefix, [n for n in FIGURES if prefix + n not in found]))
