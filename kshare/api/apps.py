from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kshare.api"
    label = "api"
    verbose_name = "REST API"
