"""Background work of the web app: thin tasks that call a service."""

from __future__ import annotations

from django.tasks import task


@task
def retention_purge_task() -> dict[str, int]:
    """Delete the mails, logs and records past their retention period (periodic)."""
    from kshare.web.retention import retention_purge

    return retention_purge()
