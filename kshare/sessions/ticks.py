"""The sessions app's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "invitations",
    "kshare.sessions.tasks.invitations_sweep_task",
    help="invitation and host mails that are due or were left unsent",
)
