"""The people app's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "auth_attempts_prune",
    "kshare.people.tasks.auth_attempts_prune_task",
    help="old sign-in attempts deleted",
)
