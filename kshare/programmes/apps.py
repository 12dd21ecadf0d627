from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "kshare.programmes"
    label = "programmes"
    verbose_name = "Programmes"

    def ready(self) -> None:
        from kshare.programmes import parts

        parts.declare()  # the programme page's regions higher apps fill (programmes/parts.py)
