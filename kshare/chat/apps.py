from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Chat channels: session announcements posted to Slack, Mattermost, Teams and Google Chat."""

    name = "kshare.chat"
    label = "chat"
    verbose_name = "Chat channels"

    def ready(self) -> None:
        from kshare.chat import (
            receivers,  # noqa: F401 - connects the receivers
            tasks,  # noqa: F401 - binds the tasks to the posts' queue
        )
