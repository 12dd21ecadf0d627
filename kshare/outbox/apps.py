from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Every outgoing e-mail: stored first, then sent by a task, retried with back-off."""

    name = "kshare.outbox"
    label = "outbox"
    verbose_name = "E-mail outbox"

    def ready(self) -> None:
        from kshare.outbox import (
            checks,  # noqa: F401 - registers the production check
            receivers,  # noqa: F401 - connects the receivers
            tasks,  # noqa: F401 - binds the tasks to the outbox queue
        )
