"""The types the speech modules share. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt


def gettext_noop(text: str) -> str:
    """Marks a message for the translation catalogue (this module has no Django in it); the page
    translates ``SpeechError.template`` and fills in its ``params``."""
    return text


@dataclass(frozen=True)
class Word:
    """One recognised word; times in milliseconds from the start of the recording."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str = ""  # "" when the recogniser tells no speakers apart


@dataclass(frozen=True)
class AudioInfo:
    """What ``audio.probe`` found: the audio stream's length and format."""

    duration_ms: int
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class AudioChunk:
    """Mono 16-bit samples at the recogniser's rate, from ``start_ms`` to ``end_ms``.

    ``end_ms`` is where the next chunk starts; ``last`` is True for the recording's last chunk.
    """

    start_ms: int
    end_ms: int
    samples: npt.NDArray[np.int16]
    last: bool


class SpeechError(ValueError):
    """A recording that cannot be transcribed. ``code`` is one of ``CODES``; the sentence is
    ``template % params`` (English); a page shows it translated."""

    CODES = ("no_audio", "silence", "corrupt", "unsupported", "too_long")

    def __init__(self, code: str, template: str, **params: object) -> None:
        if code not in self.CODES:
            raise ValueError(f"Unknown speech error code {code!r}.")
        self.code = code
        self.template = template
        self.params = params
        self.message = template % params if params else template
        super().__init__(self.message)


class RecogniserUnavailable(RuntimeError):
    """The configured recogniser cannot be loaded (package or model missing); one sentence."""


class Recogniser(Protocol):
    """A speech recogniser: mono 16-bit samples in, timed words out."""

    #: Shown on the transcript ("pocketsphinx 5.1.1, adapted to the session").
    name: str
    #: The sample rate ``transcribe`` expects (``audio.read_chunk`` resamples to it).
    sample_rate: int
    #: The language it recognises (BCP 47, e.g. "en").
    language: str

    def calibrate(self, samples: npt.NDArray[np.int16]) -> str:
        """Adapts to the recording's speaker from its first chunk, before any ``transcribe``;
        returns the choice as text to keep for ``calibrated`` ("" when there was none)."""
        ...

    def calibrated(self, choice: str) -> None:
        """Uses what ``calibrate`` chose for this recording earlier (a later step of its job)."""
        ...

    def transcribe(self, samples: npt.NDArray[np.int16], *, offset_ms: int) -> list[Word]:
        """The words in ``samples``; their times are ``offset_ms`` plus the time in the chunk."""
        ...
