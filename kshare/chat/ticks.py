"""The chat channels' periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "chat",
    "kshare.chat.tasks.chat_tick_task",
    help="reminders, 15-minute notices, materials and weekly digests posted; retries sent",
)
