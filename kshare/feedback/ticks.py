"""The feedback app's periodic tasks (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "feedback",
    "kshare.feedback.tasks.feedback_tick_task",
    help="feedback forms for sessions that ended, reminders, releases of anonymous answers",
    report=(
        "Feedback: {sessions} session(s) dispatched, {sent} form mail(s) sent, "
        "{retried} retried, {reminded} reminder(s), {released} anonymous response(s) and "
        "{hosts_released} host answer(s) released."
    ),
    queued="the feedback tick",
)
