"""The library's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``): the materials a person added, with their files."""

from __future__ import annotations

import posixpath
from functools import partial
from typing import IO, Any

from kshare.library.models import CatchUpSignal, CatchUpSubscription, Material
from kshare.people.models import Person
from kshare.people.personal_data_registry import ExportFile

HANDLES = {
    "library.Material.added_by": "kept with its session, added by the former member",
    "library.CatchUpSignal.person": "deleted",
    "library.CatchUpSubscription.person": "deleted",
}


def _archive_name(material: Material) -> str:
    # The stored name is ours (materials/<session>/<time>.<sniffed extension>), never typed.
    extension = posixpath.splitext(material.file.name or "")[1]
    return f"files/material-{material.pk}{extension}"


def _materials(person: Person):  # type: ignore[no-untyped-def]
    return Material.objects.filter(added_by=person).order_by("created_at", "pk")


def export(person: Person) -> dict[str, Any]:
    return {
        "materials_added": [
            {
                "session": material.session_id,
                "kind": material.kind,
                "title": material.title,
                "filename": material.filename,
                "size": material.size,
                "url": material.url,
                "notes": material.notes,
                "created_at": material.created_at,
                "file_in_archive": _archive_name(material) if material.file else None,
            }
            for material in _materials(person)
        ],
        "catch_up_signals": list(
            CatchUpSignal.objects.filter(person=person)
            .order_by("at", "pk")
            .values("session_id", "session__title", "kind", "at")
        ),
        "catch_up_subscription": CatchUpSubscription.objects.filter(person=person)
        .values("weekly_email", "last_sent_on")
        .first(),
    }


def _open(material: Material) -> IO[bytes]:
    return material.file.storage.open(material.file.name or "", "rb")


def files(person: Person) -> list[ExportFile]:
    return [
        ExportFile(name=_archive_name(material), open=partial(_open, material), size=material.size)
        for material in _materials(person).exclude(file="")
    ]


def erase(person: Person, placeholder: Person) -> None:
    Material.objects.filter(added_by=person).update(added_by=placeholder)
    CatchUpSignal.objects.filter(person=person).delete()
    CatchUpSubscription.objects.filter(person=person).delete()
