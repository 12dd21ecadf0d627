"""Background work for the recommender: thin tasks that call the services."""

from __future__ import annotations

from django.tasks import task


@task
def recommend_tick_task() -> int | None:
    """From the clock: train when due (never trained, older than the nightly interval, or marked
    stale); otherwise nothing. Idempotent: a run in progress is left alone."""
    from kshare.recommend.services import recommend_train_if_due

    run = recommend_train_if_due()
    return run.pk if run else None
