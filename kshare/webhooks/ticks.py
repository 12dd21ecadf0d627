"""The webhooks' periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "webhooks",
    "kshare.webhooks.tasks.webhooks_tick_task",
    help="deliveries due for a retry sent, deliveries of stopped workers taken back",
)
