from django.apps import AppConfig


class TagsConfig(AppConfig):
    name = "kshare.tags"
    label = "tags"
    verbose_name = "Tags and skills"
