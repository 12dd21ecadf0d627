"""Recognised words → transcript cues: lines of a few seconds that read like subtitles. Pure.

A cue ends at a pause (``PAUSE_MS`` of silence between two words), when it would last longer than
``MAX_CUE_MS`` or hold more than ``MAX_WORDS`` words, and where the speaker changes. A cue's text is
WebVTT cue text: the words escaped, and ``<v Speaker>`` before them when the recogniser tells
speakers apart (the transcript display shows the name; search indexes the words only).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from kshare.library.speech.types import Word
from kshare.library.transcripts import ParsedCue

# A breath between sentences is ~300-500 ms; 700 ms of silence is a new thought.
PAUSE_MS = 700
# Subtitle conventions: a line is read in at most ~7 s, and ~14 words fill two lines.
MAX_CUE_MS = 7_000
MAX_WORDS = 14


def _cue(words: list[Word]) -> ParsedCue:
    text = html.escape(" ".join(word.text for word in words), quote=False)
    speaker = words[0].speaker
    if speaker:
        text = f"<v {html.escape(speaker, quote=False)}>{text}"
    return ParsedCue(start_ms=words[0].start_ms, end_ms=words[-1].end_ms, text=text)


def words_to_cues(
    words: Iterable[Word],
    *,
    pause_ms: int = PAUSE_MS,
    max_cue_ms: int = MAX_CUE_MS,
    max_words: int = MAX_WORDS,
) -> list[ParsedCue]:
    """Cues for ``words`` (in time order; empty words are skipped). See the module."""
    cues: list[ParsedCue] = []
    current: list[Word] = []
    for word in words:
        if not word.text.strip():
            continue
        if current:
            last = current[-1]
            if (
                word.start_ms - last.end_ms >= pause_ms
                or word.end_ms - current[0].start_ms > max_cue_ms
                or len(current) >= max_words
                or word.speaker != last.speaker
            ):
                cues.append(_cue(current))
                current = []
        current.append(word)
    if current:
        cues.append(_cue(current))
    return cues
