"""A material's stored file goes when its row goes: however it is deleted (the service, the
admin, a deleted session's cascade), and only once the deletion is committed. The weekly
catch-up mail follows the person's notification settings."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete

from kshare.library.catchup import catchup_follow_mail_settings
from kshare.library.models import Material
from kshare.outbox.preferences import mail_category_changed


def _delete_file(sender, instance: Material, using: str, **kwargs) -> None:
    name = instance.file.name
    if not name:
        return
    storage = instance.file.storage
    transaction.on_commit(lambda: storage.delete(name), using=using)


def connect() -> None:
    mail_category_changed.connect(
        catchup_follow_mail_settings, dispatch_uid="library_catchup_follows_mail_settings"
    )
    post_delete.connect(_delete_file, sender=Material, dispatch_uid="library_material_file")
