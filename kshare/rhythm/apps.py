from django.apps import AppConfig


class RhythmConfig(AppConfig):
    """Rhythm events: the recurring information-sharing events sessions are scheduled around."""

    name = "kshare.rhythm"
    label = "rhythm"
    verbose_name = "Rhythm events"
