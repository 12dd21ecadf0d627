"""A material's stored file goes when its row goes: however it is deleted (the service, the
admin, a deleted session's cascade), and only once the deletion is committed."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete

from kshare.library.models import Material


def _delete_file(sender, instance: Material, using: str, **kwargs) -> None:
    name = instance.file.name
    if not name:
        return
    storage = instance.file.storage
    transaction.on_commit(lambda: storage.delete(name), using=using)


def connect() -> None:
    post_delete.connect(_delete_file, sender=Material, dispatch_uid="library_material_file")
