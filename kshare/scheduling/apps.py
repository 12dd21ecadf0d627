from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Scheduling: when things happen. The slot finder and its data loader; recurrence rules
    themselves are plain Python in ``kshare.core.recurrence``."""

    name = "kshare.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
