"""The attendance app's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "attendance_auto_held",
    "kshare.attendance.tasks.attendance_auto_held_task",
    help="sessions whose check-in closed marked held",
)
