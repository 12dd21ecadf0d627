"""Every write to session materials: views, the demo and tests all call these."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils.translation import gettext as _

from kshare.core.signals import rows_saved_announce
from kshare.library.models import Cue, Material, Transcript
from kshare.library.sniff import Sniffed
from kshare.library.transcription import transcription_after_upload
from kshare.library.transcripts import transcript_chapters, transcript_plain_text
from kshare.people.models import Person
from kshare.sessions.models import Session

FILE_KINDS = (Material.Kind.RECORDING, Material.Kind.SLIDES)
TITLE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 200_000
BULK_BATCH = 2_000


def _clean_title(title: str) -> str:
    if "\x00" in title:
        raise ValidationError(_("The title contains a NUL character; remove it."))
    title = title.strip()
    if not title:
        raise ValidationError(_("The title is empty."))
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(
            _("The title is longer than %(limit)s characters.") % {"limit": TITLE_MAX_LENGTH}
        )
    return title


def _clean_url(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise ValidationError(_("Enter an http:// or https:// address."))
    return url


def _clean_notes(notes: str) -> str:
    if len(notes) > NOTES_MAX_LENGTH:
        raise ValidationError(
            _("The notes are longer than %(limit)s characters.")
            % {"limit": f"{NOTES_MAX_LENGTH:,}"}
        )
    return notes.replace("\x00", "")


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
    if kind == Material.Kind.RECORDING:
        # The job row now (the page shows "Queued"), the worker's task on commit.
        transcription_after_upload(material=material)
    return material


def _link_kind_check(kind: str) -> None:
    if kind not in (Material.Kind.LINK, Material.Kind.RECORDING):
        raise ValidationError(f"A {kind} material is not a link.")


@transaction.atomic
def material_add_link(
    *, session: Session, kind: str, title: str, url: str, by: Person | None
) -> Material:
    """A link, or a recording hosted elsewhere (an external URL)."""
    _link_kind_check(kind)
    return Material.objects.create(
        session=session, kind=kind, title=_clean_title(title), url=_clean_url(url), added_by=by
    )


@transaction.atomic
def material_add_notes(*, session: Session, title: str, notes: str, by: Person | None) -> Material:
    return Material.objects.create(
        session=session,
        kind=Material.Kind.NOTES,
        title=_clean_title(title),
        notes=_clean_notes(notes),
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
        material.url = _clean_url(url)
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


@transaction.atomic
def materials_create_bulk(
    *,
    materials: Sequence[Material],
    transcripts: Sequence[Transcript] = (),
    cues: Sequence[Cue] = (),
) -> list[Material]:
    """Create many materials (links, hosted recordings, notes) with transcripts and their cues.

    The rules of ``material_add_link``, ``material_add_notes`` and ``transcript_save`` for every
    row: a clean title, an http(s) address for a link or recording, notes within the limit and
    without NUL; a transcript only for a recording, with at least one cue, its ``text`` derived
    from its cues (``transcript_plain_text``), and so are its chapters (``transcript_chapters``).
    Files are not taken (a stored file goes through ``material_add_file``). Rows with planned
    ids move the id sequences past them; transcripts and cues refer to materials and
    transcripts by id, so they need planned ids.

    Announces nothing but the saved rows (``rows_saved`` for ``Material`` and ``Transcript``, on
    commit: search indexes them).
    """
    for material in materials:
        material.title = _clean_title(material.title)
        if material.kind == Material.Kind.NOTES:
            material.notes = _clean_notes(material.notes)
        else:
            _link_kind_check(material.kind)
            material.url = _clean_url(material.url)
    kinds = {m.pk: m.kind for m in materials}
    missing = {t.material_id for t in transcripts} - set(kinds)
    kinds.update(Material.objects.filter(pk__in=missing).values_list("pk", "kind"))
    by_transcript: dict[int, list[Cue]] = defaultdict(list)
    for cue in cues:
        by_transcript[cue.transcript_id].append(cue)
    for transcript in transcripts:
        if kinds.get(transcript.material_id) != Material.Kind.RECORDING:
            raise ValidationError("Only recordings have transcripts.")
        own = by_transcript.get(transcript.pk)
        if not own:
            raise ValidationError("A transcript needs at least one cue.")
        own.sort(key=lambda cue: cue.position)
        transcript.text = transcript_plain_text(own)
        transcript.chapters = transcript_chapters(own, transcript.language)
    Material.objects.bulk_create(materials, batch_size=BULK_BATCH)
    Transcript.objects.bulk_create(transcripts, batch_size=BULK_BATCH)
    Cue.objects.bulk_create(cues, batch_size=BULK_BATCH)
    planned = [
        model
        for model, rows in ((Material, materials), (Transcript, transcripts))
        if rows and all(row.pk is not None for row in rows)
    ]
    if planned:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), planned):
                cursor.execute(sql)
    rows_saved_announce(model=Material, ids=[m.pk for m in materials])
    rows_saved_announce(model=Transcript, ids=[t.pk for t in transcripts])
    return list(materials)
