"""Background work for the attendance log: thin tasks that call the services."""

from __future__ import annotations

from django.tasks import task


@task
def attendance_auto_held_task() -> int:
    """Mark held the sessions nobody marked, N hours after their end, when people checked in;
    enqueued by the clock. Returns how many were marked."""
    from kshare.attendance.log import attendance_auto_held

    return attendance_auto_held()
