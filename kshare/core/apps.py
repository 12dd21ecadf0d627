from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Machinery shared by every app; the lowest layer (it imports no other kshare app)."""

    name = "kshare.core"
    label = "core"

    def ready(self) -> None:
        from kshare.core import leases  # noqa: F401 - registers the check of the lease length
