from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "kshare.programmes"
    label = "programmes"
    verbose_name = "Programmes"
