"""``{% transcription_of material as status %}``: a recording's automatic transcription status.

Reads ``material.transcription`` and ``material.transcript`` from what the page loaded
(``transcription.materials_with_transcriptions`` and the transcript prefetch), so it adds no
query per recording.
"""

from __future__ import annotations

from django import template

from kshare.library.models import Material
from kshare.library.transcription import TranscriptionStatus, transcription_status

register = template.Library()


@register.simple_tag
def transcription_of(material: Material) -> TranscriptionStatus | None:
    if not isinstance(material, Material) or material.kind != Material.Kind.RECORDING:
        return None
    return transcription_status(material)
