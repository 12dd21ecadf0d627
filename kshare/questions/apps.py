from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    """Live questions during a session: ask (optionally anonymous to the room), upvote, answer."""

    name = "kshare.questions"
    label = "questions"
    verbose_name = "Live questions"

    def ready(self) -> None:
        from kshare.questions import parts

        parts.register()  # its parts of other apps' pages (questions/parts.py)
