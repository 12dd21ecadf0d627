from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kshare.people"
    label = "people"
    verbose_name = "People"
