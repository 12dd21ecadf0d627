from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kshare.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from kshare.people import parts, receivers

        receivers.connect()
        parts.declare()  # the profile's region higher apps fill (people/parts.py)
