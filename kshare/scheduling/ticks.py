"""The scheduling app's periodic tasks: reminders and cadence nudges (read by
``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "reminders",
    "kshare.scheduling.reminders.tasks.reminders_tick_task",
    help="session reminders and the organisers' daily digests",
    report=(
        "Reminders: {sent} sent, {planned} session(s) planned, {dropped} lapsed dropped, "
        "{digests} organiser digest(s)."
    ),
    queued="the reminders tick",
)
tick_register(
    "cadence",
    "kshare.scheduling.reminders.cadence.cadence_nudge_task",
    help="organisers nudged about open slots of their programme's cadence",
)
