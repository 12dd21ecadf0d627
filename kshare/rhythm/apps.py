from django.apps import AppConfig


class RhythmConfig(AppConfig):
    """Migration history only: rhythm events, their exceptions and closure days now live in
    ``kshare.scheduling`` (the same tables). Kept installed so that existing databases, whose
    ``django_migrations`` rows name this app, migrate forward, and new ones replay the history
    that created the tables (docs/architecture.md, "Rhythm, calendars and the slot finder")."""

    name = "kshare.rhythm"
    label = "rhythm"
    verbose_name = "Rhythm events (migration history)"
