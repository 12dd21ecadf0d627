from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outgoing webhooks: signed JSON payloads for session and feedback events, retried."""

    name = "kshare.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from kshare.webhooks import (
            receivers,  # noqa: F401 - connects the receivers
            tasks,  # noqa: F401 - binds the tasks to the deliveries' queue
        )
