"""``{% transcript_of material as transcript %}``: a recording's transcript, ready to show.

Reads ``material.transcript`` and its cues from a prefetch when the page made one
(``services_transcripts.materials_with_transcripts``), so a list of recordings costs two
queries in all; without it, two queries per recording.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from kshare.library import services_transcripts as services
from kshare.library.models import Material, Transcript

register = template.Library()


@dataclass(frozen=True)
class TranscriptView:
    transcript: Transcript
    cues: list[services.CueView]

    @property
    def timed(self) -> bool:
        return any(cue.start_ms is not None for cue in self.cues)

    @property
    def automatic(self) -> bool:
        return self.transcript.source == Transcript.Source.AUTOMATIC

    @property
    def chapters(self) -> list[services.ChapterView]:
        """The chapters worth listing: two or more (one chapter is the whole recording)."""
        chapters = services.chapter_views(self.transcript)
        return chapters if len(chapters) >= 2 and self.timed else []


@register.simple_tag
def transcript_of(material: Material) -> TranscriptView | None:
    if not isinstance(material, Material) or material.kind != Material.Kind.RECORDING:
        return None
    # Kept on the instance: the player's captions track and the cue list both ask.
    if hasattr(material, "_transcript_view"):
        cached: TranscriptView | None = material._transcript_view
        return cached
    transcript = services.transcript_for(material=material)
    shown = None
    if transcript is not None:
        shown = TranscriptView(transcript, services.cue_views(list(transcript.cues.all())))
    material._transcript_view = shown  # type: ignore[attr-defined]
    return shown
