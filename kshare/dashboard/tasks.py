"""Background work for the dashboard: recompute the figures of one filter set."""

from __future__ import annotations

from datetime import date

from django.tasks import task

from kshare.dashboard.figures import Filters, filters_make
from kshare.dashboard.selectors import REFRESH, figures_refresh


@REFRESH.binds
@task
def dashboard_refresh_task(
    programme_id: int | None, team_id: int | None, start: str, end: str
) -> int:
    """Compute every figure for the filters at the current data version and cache them.

    Idempotent: a second run finds them cached. Returns the number of figures computed."""
    filters = Filters(programme_id, team_id, date.fromisoformat(start), date.fromisoformat(end))
    return figures_refresh(filters)


@task
def dashboard_tick_task() -> int:
    """Keep the default dashboard (last 12 months, all programmes and teams) computed at the
    current data version, so that the first visit after a change finds it ready; from the clock.

    Idempotent: computes only the figures missing at the current version (none, usually)."""
    return figures_refresh(filters_make())
