from django.apps import AppConfig


class WebConfig(AppConfig):
    """Layout, home page, static assets and error pages shared by every other app."""

    name = "kshare.web"
    label = "web"

    def ready(self) -> None:
        from kshare.web import (
            backends,  # noqa: F401 - registers the deploy check of the shared cache
            production,  # noqa: F401 - registers the production checks
        )
