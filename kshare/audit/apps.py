from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kshare.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from kshare.audit import receivers

        receivers.connect()
