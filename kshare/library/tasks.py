"""Background work for the session library: thin tasks that call the services."""

from __future__ import annotations

from django.tasks import task


@task
def catchup_weekly_task() -> int:
    """Mail the weekly catch-up e-mails that are due (Mondays from 08:00 local); from the clock.

    Idempotent: at most one mail per person and ISO week (see kshare.library.catchup)."""
    from kshare.library.catchup import catchup_weekly_send

    return catchup_weekly_send()
