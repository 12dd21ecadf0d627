from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    """RFC 5545: invitations, per-person/programme/session feeds, week and month views."""

    name = "kshare.calendars"
    label = "calendars"
    verbose_name = "Calendars"

    def ready(self) -> None:
        from kshare.calendars import parts

        parts.register()  # its parts of other apps' pages (calendars/parts.py)
