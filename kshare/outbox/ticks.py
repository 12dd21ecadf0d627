"""The outbox's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "outbox",
    "kshare.outbox.tasks.outbox_tick_task",
    help="mails due for a retry sent, mails of stopped workers taken back",
    report=(
        "Outbox: {sent} sent, {retrying} to retry later, {failed} failed, "
        "{recovered} taken back from stopped workers."
    ),
    queued="the outbox tick",
)
