"""Reading the dashboard: who may see it, and the figures through the cache.

Cache rule: a figure is cached (Django's default cache) under
``dashboard:<token>.<version>.<max invitation id>.<max feedback request id>:<filters>:<name>``.
The version is the ``DataVersion`` row, bumped after commit by every save or delete of a row the
figures read (``kshare.dashboard.signals``); the two largest ids catch the rows the services
bulk-create (bulk writes send no signals). The version lives in the database, so a per-process
cache (the default local-memory one) is invalidated in every process at once. Entries also
expire after ``CACHE_SECONDS`` (the backstop for writes that bypass the ORM's signals).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max

from kshare.dashboard.figures import FIGURES, FigureResult, Filters
from kshare.dashboard.models import DataVersion
from kshare.feedback.models import FeedbackRequest
from kshare.people.models import Person
from kshare.sessions.models import Invitation

CACHE_SECONDS = 15 * 60


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


def figures_cached(
    filters: Filters, *, names: Iterable[str] | None = None
) -> dict[str, FigureResult]:
    """The named figures (all by default, in page order) for ``filters``, computing the misses."""
    wanted = list(FIGURES) if names is None else list(names)
    prefix = f"dashboard:{data_version()}:{filters.key()}:"
    found = cache.get_many([prefix + name for name in wanted])
    results: dict[str, FigureResult] = {}
    missing: dict[str, FigureResult] = {}
    for name in wanted:
        result = found.get(prefix + name)
        if result is None:
            result = missing[prefix + name] = FIGURES[name].compute(filters)
        results[name] = result
    if missing:
        cache.set_many(missing, CACHE_SECONDS)
    return results
