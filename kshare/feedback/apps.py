from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Feedback forms per programme, sent after every session; results; the host pipeline."""

    name = "kshare.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from kshare.feedback import parts, receivers

        receivers.connect()  # lower apps' announcements (feedback/receivers.py)
        parts.register()  # its parts of other apps' pages (feedback/parts.py)
