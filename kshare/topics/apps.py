from django.apps import AppConfig


class TopicsConfig(AppConfig):
    """Topic requests ("I'd love a session on dbt"): +1s, volunteers, proposals."""

    name = "kshare.topics"
    label = "topics"
    verbose_name = "Topic requests"

    def ready(self) -> None:
        from kshare.topics import parts, receivers  # noqa: F401 - receivers connect themselves

        parts.register()  # its part of the propose page and its propose hook (topics/parts.py)
