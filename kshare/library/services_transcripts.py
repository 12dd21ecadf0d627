"""Writes and reads for transcripts: a recording's transcript and its cues, all or nothing."""

from __future__ import annotations

import html
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from kshare.library import transcripts
from kshare.library.models import Cue, Material, Transcript


@transaction.atomic
def transcript_save(
    *,
    material: Material,
    parsed: transcripts.ParsedTranscript,
    language: str = "",
    recogniser: str = "",
) -> Transcript:
    """Create or replace ``material``'s transcript with ``parsed``'s cues, in one transaction.

    Replacing keeps the transcript's row (and id) and swaps all its cues; ``Transcript.text``
    is every cue's plain text, one per line, for search; ``Transcript.chapters`` the topical
    chapters of a timed transcript (``transcripts.transcript_chapters``, [] for pasted text or a
    short one). ``parsed.source`` is ``Transcript.Source.AUTOMATIC`` for the worker's
    transcript, with ``recogniser`` naming what wrote it; a person's transcript (any other
    source) has no recogniser, so saving one over an automatic transcript drops its label.
    """
    if material.kind != Material.Kind.RECORDING:
        raise ValidationError("Only recordings have transcripts.")
    if not parsed.cues:
        raise ValidationError("A transcript needs at least one cue.")
    # Lock the material: two uploads at once replace one after the other instead of both
    # creating a transcript (the second would break the one-to-one constraint).
    Material.objects.select_for_update().filter(pk=material.pk).first()
    text = transcripts.transcript_plain_text(parsed.cues)
    transcript = Transcript.objects.filter(material=material).first()
    if transcript is None:
        transcript = Transcript(material=material)
    else:
        transcript.cues.all().delete()
    transcript.source = parsed.source
    transcript.language = language
    transcript.text = text
    transcript.recogniser = recogniser if parsed.source == Transcript.Source.AUTOMATIC else ""
    transcript.chapters = transcripts.transcript_chapters(parsed.cues, language)
    transcript.save()
    Cue.objects.bulk_create(
        Cue(
            transcript=transcript,
            position=position,
            start_ms=cue.start_ms,
            end_ms=cue.end_ms,
            text=cue.text,
        )
        for position, cue in enumerate(parsed.cues, start=1)
    )
    return transcript


def transcript_paste(*, material: Material, text: str, language: str = "") -> Transcript:
    """Pasted text: one cue per paragraph, without times (pasted WebVTT keeps its times)."""
    return transcript_save(
        material=material, parsed=transcripts.parse_text(text), language=language
    )


@transaction.atomic
def transcript_delete(*, material: Material) -> bool:
    """Remove ``material``'s transcript and its cues; False when there was none."""
    deleted, _ = Transcript.objects.filter(material=material).delete()
    return deleted > 0


# -- reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CueView:
    """A cue ready for a template: times in seconds for the player, words split by speaker."""

    id: int
    position: int
    start_ms: int | None
    end_ms: int | None
    segments: list[tuple[str, str]]

    @property
    def start_seconds(self) -> str:
        return f"{self.start_ms / 1000:.3f}" if self.start_ms is not None else ""

    @property
    def end_seconds(self) -> str:
        return f"{self.end_ms / 1000:.3f}" if self.end_ms is not None else ""

    @property
    def clock(self) -> str:
        return transcripts.format_clock(self.start_ms) if self.start_ms is not None else ""

    @property
    def timestamp(self) -> str:
        return transcripts.format_timestamp(self.start_ms) if self.start_ms is not None else ""


def cue_views(cues: list[Cue]) -> list[CueView]:
    return [
        CueView(
            id=cue.pk,
            position=cue.position,
            start_ms=cue.start_ms,
            end_ms=cue.end_ms,
            segments=transcripts.cue_segments(cue.text),
        )
        for cue in cues
    ]


def materials_with_transcripts(materials: QuerySet[Material]) -> QuerySet[Material]:
    """``materials`` with each transcript and its cues loaded in two queries in all."""
    return materials.prefetch_related(
        Prefetch("transcript__cues", queryset=Cue.objects.order_by("position"))
    )


def transcript_for(*, material: Material) -> Transcript | None:
    """``material``'s transcript (from a prefetch when there is one), or None."""
    try:
        return material.transcript
    except Transcript.DoesNotExist:
        return None


def transcript_as_vtt(*, transcript: Transcript, cues: list[Cue]) -> str:
    """The transcript as a WebVTT file (cues without times are left out: a player needs times)."""
    blocks = ["WEBVTT"]
    for cue in cues:
        if cue.start_ms is None or cue.end_ms is None:
            continue
        # The worker writes WebVTT cue text too (escaped words, <v Speaker>).
        if transcript.source in (Transcript.Source.VTT, Transcript.Source.AUTOMATIC):
            text = "\n".join(line for line in cue.text.split("\n") if line.strip())
        else:  # SRT markup is not WebVTT's: plain words, escaped as WebVTT wants them
            text = html.escape(transcripts.cue_plain(cue.text), quote=False)
        text = text.replace("-->", "->")
        start = transcripts.format_timestamp(cue.start_ms)
        end = transcripts.format_timestamp(cue.end_ms)
        blocks.append(f"{start} --> {end}\n{text}")
    return "\n\n".join(blocks) + "\n"


@dataclass(frozen=True)
class ChapterView:
    """A stored chapter ready for a template: the player's seconds and a clock time."""

    start_ms: int
    end_ms: int
    title: str

    @property
    def start_seconds(self) -> str:
        return f"{self.start_ms / 1000:.3f}"

    @property
    def end_seconds(self) -> str:
        return f"{self.end_ms / 1000:.3f}"

    @property
    def clock(self) -> str:
        return transcripts.format_clock(self.start_ms)


def chapter_views(transcript: Transcript) -> list[ChapterView]:
    """``transcript.chapters`` as ``ChapterView``s (rows of another shape are skipped)."""
    views = []
    for chapter in transcript.chapters or []:
        try:
            views.append(
                ChapterView(int(chapter["start_ms"]), int(chapter["end_ms"]), str(chapter["title"]))
            )
        except (KeyError, TypeError, ValueError):
            continue
    return views


def chapters_as_vtt(*, transcript: Transcript) -> str:
    """The transcript's chapters as a WebVTT file: one cue per chapter, its title as the text."""
    blocks = ["WEBVTT"]
    for number, chapter in enumerate(chapter_views(transcript), start=1):
        start = transcripts.format_timestamp(chapter.start_ms)
        end = transcripts.format_timestamp(chapter.end_ms)
        # Escaped, "-->" cannot occur; a title is one line.
        title = html.escape(chapter.title, quote=False).replace("\n", " ")
        blocks.append(f"{number}\n{start} --> {end}\n{title}")
    return "\n\n".join(blocks) + "\n"
