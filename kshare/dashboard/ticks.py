"""The dashboard's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "dashboard",
    "kshare.dashboard.tasks.dashboard_tick_task",
    help="the default dashboard kept computed at the current data version",
)
