from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kshare.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from kshare.people import receivers

        receivers.connect()
