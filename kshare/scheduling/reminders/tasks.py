"""Background work for reminders: thin tasks that call the services."""

from __future__ import annotations

from django.tasks import task


@task
def reminders_tick() -> dict[str, int]:
    """Send the due reminders and organiser digests (and plan missing ones); from the clock."""
    from dataclasses import asdict

    from kshare.scheduling.reminders.services import reminders_tick as tick

    return asdict(tick())
