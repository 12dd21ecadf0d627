from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """Accountability: host/invitee reminders, RSVP nudges, organiser digests, cadence nudges."""

    name = "kshare.reminders"
    label = "reminders"
    verbose_name = "Reminders"
