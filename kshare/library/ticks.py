"""The library's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "catchup_weekly",
    "kshare.library.tasks.catchup_weekly_task",
    help="the weekly catch-up e-mails that are due",
    report="Weekly catch-up e-mails: {result} sent.",
    queued="the weekly catch-up e-mails",
)

tick_register(
    "transcriptions_resume",
    "kshare.library.tasks.transcriptions_resume_task",
    help="queue again the automatic transcriptions that stopped moving",
    report="Transcriptions queued again: {result}.",
    queued="the stuck transcriptions",
)
