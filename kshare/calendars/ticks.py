"""The calendars app's periodic task (read by ``kshare.core.ticks``)."""

from kshare.core.ticks import tick_register

tick_register(
    "mail_in",
    "kshare.calendars.tasks.mail_in_tick_task",
    help="calendar answers (iMIP replies) read from KSHARE_IMAP_URL, when it is set",
)
