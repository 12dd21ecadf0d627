from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation: a deterministic, believable company generated from a seed."""

    name = "kshare.demo"
    label = "demo"
    verbose_name = "Demo organisation"
