"""Background work for reminders: thin tasks that call the services."""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from kshare.scheduling.reminders import services


@task
def reminders_tick_task() -> dict[str, int]:
    """Send the due reminders and organiser digests (and plan missing ones); from the clock."""
    return asdict(services.reminders_tick())


# The name before every task ended in ``_task``: task rows queued (and clock claims made) under
# it still resolve (the database backend imports a row's task by its stored path).
reminders_tick = reminders_tick_task
