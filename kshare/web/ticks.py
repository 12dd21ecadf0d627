"""The web app's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "retention_purge",
    "kshare.web.tasks.retention_purge_task",
    help="mails, logs and records past their retention period deleted",
)
