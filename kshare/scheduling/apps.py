from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Scheduling: when things happen. Rhythm events and closure days (``rhythm/``), reminders,
    organiser digests and the cadence nudge (``reminders/``), the slot finder and its data
    loader; recurrence rules themselves are plain Python in ``kshare.core.recurrence``."""

    name = "kshare.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from kshare.programmes import selectors as programme_selectors
        from kshare.scheduling.reminders import receivers  # noqa: F401 - connects the receivers
        from kshare.scheduling.rhythm.daysoff import closure_days

        # Programmes (a lower layer) learns the closure days without importing this app.
        if closure_days not in programme_selectors.CLOSURE_DAY_READERS:
            programme_selectors.CLOSURE_DAY_READERS.append(closure_days)
        from kshare.scheduling import parts

        parts.register()  # its parts of other apps' pages (scheduling/parts.py)
