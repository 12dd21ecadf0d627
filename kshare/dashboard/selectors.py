"""Reading the dashboard: who may see it, and the figures through the cache.

Cache rule: a figure is cached (the "dashboard" cache of settings.CACHES, a database table shared
by every process and the task worker) under
``dashboard:<token>.<version>.<max invitation id>.<max feedback request id>:<filters>`` (one
entry per filter set: {figure name: result}).
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
from datetime import date, timedelta

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from kshare.core.taskslots import TaskSlot
from kshare.dashboard.figures import FIGURES, FigureResult, Filters, filters_make
from kshare.dashboard.models import DataVersion
from kshare.feedback.models import FeedbackRequest
from kshare.people.models import Person, Team
from kshare.programmes.models import Programme
from kshare.sessions.models import Invitation

CACHE_SECONDS = 15 * 60
CACHE_ALIAS = "dashboard"  # a database table: shared by every process and the task worker
STALE_SECONDS = 10 * 60
LATEST_SECONDS = 24 * 60 * 60
# The background recomputation of one filter set; bound by ``dashboard.tasks``.
REFRESH = TaskSlot("the dashboard refresh")


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


def _latest_key(filters: Filters) -> str:
    return f"dashboard:latest:{filters.key()}"


def figures_cached(
    filters: Filters, *, names: Iterable[str] | None = None, stale_ok: bool = False
) -> dict[str, FigureResult]:
    """The named figures (all by default, in page order) for ``filters``.

    The figures of one filter set are one cache entry ({name: result}). Misses are computed
    now, unless ``stale_ok`` and a figure computed less than ``STALE_SECONDS`` ago exists: then
    that one is returned (``stale=True``) and a refresh task is enqueued.
    """
    wanted = list(FIGURES) if names is None else list(names)
    version = data_version()
    key = f"dashboard:{version}:{filters.key()}"
    entry: dict[str, FigureResult] = _cache().get(key) or {}
    absent = [name for name in wanted if name not in entry]
    if not absent:
        return {name: entry[name] for name in wanted}
    latest: dict[str, FigureResult] = _cache().get(_latest_key(filters)) or {}
    stale: dict[str, FigureResult] = {}
    if stale_ok:
        oldest = timezone.now() - timedelta(seconds=STALE_SECONDS)
        for name in absent:
            result = latest.get(name)
            if result is not None and result.computed_at and result.computed_at >= oldest:
                stale[name] = dataclasses.replace(result, stale=True)
        if stale and _cache().add(f"dashboard:refreshing:{version}:{filters.key()}", 1, 120):
            REFRESH.enqueue(
                filters.programme_id, filters.team_id, str(filters.start), str(filters.end)
            )
    todo = [name for name in absent if name not in stale]
    if todo:
        entry = {**entry, **_compute(filters, key, entry, latest, todo)}
    return {name: entry.get(name) or stale[name] for name in wanted}


def _compute(
    filters: Filters,
    key: str,
    entry: dict[str, FigureResult],
    latest: dict[str, FigureResult],
    names: list[str],
) -> dict[str, FigureResult]:
    """Compute ``names`` and store them with the entry's other figures (two cache writes)."""
    computed = {
        name: dataclasses.replace(FIGURES[name].compute(filters), computed_at=timezone.now())
        for name in names
    }
    _cache().set(key, {**entry, **computed}, CACHE_SECONDS)
    _cache().set(_latest_key(filters), {**latest, **computed}, LATEST_SECONDS)
    return computed


def figures_refresh(filters: Filters) -> int:
    """Compute and cache every figure missing at the current version; returns how many."""
    key = f"dashboard:{data_version()}:{filters.key()}"
    entry: dict[str, FigureResult] = _cache().get(key) or {}
    todo = [name for name in FIGURES if name not in entry]
    if not todo:
        return 0
    latest: dict[str, FigureResult] = _cache().get(_latest_key(filters)) or {}
    return len(_compute(filters, key, entry, latest, todo))


def figure_compute(
    name: str,
    *,
    programme: Programme | int | None = None,
    team: Team | int | None = None,
    start: date | None = None,
    end: date | None = None,
    cached: bool = True,
) -> FigureResult:
    """One figure for the filters, through the cache.

    ``KeyError`` for an unknown name; ``ValueError`` for a period that ends before it starts, is
    longer than five years or lies outside 1970-2999 (the page's form refuses the same).
    """
    figure = FIGURES[name]
    filters = filters_make(programme=programme, team=team, start=start, end=end)
    if not cached:
        return figure.compute(filters)
    return figures_cached(filters, names=[name])[name]
