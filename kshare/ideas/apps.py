from django.apps import AppConfig


class IdeasConfig(AppConfig):
    """The ideas board: sparks from sessions and product areas, voted and turned into sessions."""

    name = "kshare.ideas"
    label = "ideas"
    verbose_name = "Ideas"

    def ready(self) -> None:
        from kshare.ideas import parts

        parts.register()  # its parts of other apps' pages (ideas/parts.py)
