"""Every write to session materials: views, the demo and tests all call these."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from kshare.library.models import Material
from kshare.library.sniff import Sniffed
from kshare.people.models import Person
from kshare.sessions.models import Session

FILE_KINDS = (Material.Kind.RECORDING, Material.Kind.SLIDES)
TITLE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 200_000


def _clean_title(title: str) -> str:
    if "\x00" in title:
        raise ValidationError("The title contains a NUL character; remove it.")
    title = title.strip()
    if not title:
        raise ValidationError("The title is empty.")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(f"The title is longer than {TITLE_MAX_LENGTH} characters.")
    return title


@transaction.atomic
def material_add_file(
    *,
    session: Session,
    kind: str,
    title: str,
    upload: File,
    sniffed: Sniffed,
    filename: str,
    by: Person | None,
) -> Material:
    """Store an uploaded recording or slide deck (already size- and type-checked).

    The file goes through the default storage (a rename of the temporary file on a local disk,
    a chunked upload on S3-compatible storage); if the transaction rolls back, it is removed.
    """
    if kind not in FILE_KINDS:
        raise ValidationError(f"A {kind} material has no file.")
    material = Material(
        session=session,
        kind=kind,
        title=_clean_title(title),
        filename=filename[:255],
        content_type=sniffed.content_type,
        size=upload.size or 0,
        added_by=by,
    )
    # The stored name's extension is the sniffed type's, never the uploader's.
    material.file.save(f"upload.{sniffed.extension}", upload, save=False)
    try:
        material.save()
    except BaseException:
        # Nothing half-written: no row, no file.
        if material.file.name:
            material.file.storage.delete(material.file.name)
        raise
    return material


@transaction.atomic
def material_add_link(
    *, session: Session, kind: str, title: str, url: str, by: Person | None
) -> Material:
    """A link, or a recording hosted elsewhere (an external URL)."""
    if kind not in (Material.Kind.LINK, Material.Kind.RECORDING):
        raise ValidationError(f"A {kind} material is not a link.")
    if not url.startswith(("https://", "http://")):
        raise ValidationError("Enter an http:// or https:// address.")
    return Material.objects.create(
        session=session, kind=kind, title=_clean_title(title), url=url, added_by=by
    )


@transaction.atomic
def material_add_notes(*, session: Session, title: str, notes: str, by: Person | None) -> Material:
    if len(notes) > NOTES_MAX_LENGTH:
        raise ValidationError(f"The notes are longer than {NOTES_MAX_LENGTH:,} characters.")
    return Material.objects.create(
        session=session,
        kind=Material.Kind.NOTES,
        title=_clean_title(title),
        notes=notes.replace("\x00", ""),
        added_by=by,
    )


@transaction.atomic
def material_update(
    *, material: Material, title: str, url: str | None = None, notes: str | None = None
) -> Material:
    """Change a material's title, and its address (links) or text (notes)."""
    material.title = _clean_title(title)
    fields = ["title", "updated_at"]
    if url is not None and (material.kind == Material.Kind.LINK or not material.file):
        if not url.startswith(("https://", "http://")):
            raise ValidationError("Enter an http:// or https:// address.")
        material.url = url
        fields.append("url")
    if notes is not None and material.kind == Material.Kind.NOTES:
        material.notes = notes.replace("\x00", "")
        fields.append("notes")
    material.save(update_fields=fields)
    return material


@transaction.atomic
def material_delete(*, material: Material) -> None:
    """Delete a material (and its transcript).

    Its stored file goes once the deletion is committed (``signals``: also when a session's
    deletion takes its materials along).
    """
    material.delete()
