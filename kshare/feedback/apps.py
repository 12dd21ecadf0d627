from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Feedback forms per programme, sent after every session; results; the host pipeline."""

    name = "kshare.feedback"
    label = "feedback"
    verbose_name = "Feedback"
