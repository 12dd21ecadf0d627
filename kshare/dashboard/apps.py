from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The culture dashboard: programme figures for organisers and admins, cached."""

    name = "kshare.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        from kshare.dashboard import (
            signals,
            tasks,  # noqa: F401 - binds the refresh task to selectors.REFRESH
        )

        signals.connect()
