from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """Migration history only: reminders, organiser digests and cadence nudges now live in
    ``kshare.scheduling`` (the same tables). Kept installed so that existing databases, whose
    ``django_migrations`` rows name this app, migrate forward, and new ones replay the history
    that created the tables (docs/architecture.md, "Reminders")."""

    name = "kshare.reminders"
    label = "reminders"
    verbose_name = "Reminders (migration history)"
