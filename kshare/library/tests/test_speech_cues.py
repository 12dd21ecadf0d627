"""Recognised words → cues (kshare.library.speech.cues): exact cues for each rule."""

from __future__ import annotations

from kshare.library.speech.cues import words_to_cues
from kshare.library.speech.types import Word
from kshare.library.transcripts import ParsedCue, cue_segments


def _words(text: str, *, start: int = 0, step: int = 300, speaker: str = "") -> list[Word]:
    """One word every ``step`` ms, each lasting 250 ms."""
    return [
        Word(start + i * step, start + i * step + 250, word, speaker)
        for i, word in enumerate(text.split())
    ]


def test_words_without_pauses_make_one_cue():
    assert words_to_cues(_words("welcome to this session")) == [
        ParsedCue(start_ms=0, end_ms=1150, text="welcome to this session")
    ]


def test_a_pause_of_700_ms_starts_a_new_cue_and_a_shorter_one_does_not():
    words = [
        *_words("first thought"),  # ends at 550
        *_words("goes on", start=550 + 690),  # 690 ms later: same cue
        *_words("second thought", start=1240 + 300 + 250 + 700),  # 700 ms after "on"
    ]
    assert words_to_cues(words) == [
        ParsedCue(start_ms=0, end_ms=1790, text="first thought goes on"),
        ParsedCue(start_ms=2490, end_ms=3040, text="second thought"),
    ]


def test_a_cue_holds_at_most_14_words():
    words = _words(" ".join(f"w{i}" for i in range(20)), step=200)
    cues = words_to_cues(words)
    assert [cue.text for cue in cues] == [
        " ".join(f"w{i}" for i in range(14)),
        " ".join(f"w{i}" for i in range(14, 20)),
    ]
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(0, 2850), (2800, 4050)]


def test_a_cue_lasts_at_most_7_seconds():
    # Slow speech (450 ms between words): the time limit comes before the word limit.
    cues = words_to_cues(_words("a b c d e f g h i j k l", step=700))
    assert [(cue.start_ms, cue.end_ms, cue.text) for cue in cues] == [
        (0, 6550, "a b c d e f g h i j"),
        (7000, 7950, "k l"),
    ]


def test_speaker_turns_start_a_cue_with_a_voice_tag():
    words = [
        *_words("hello everyone", speaker="Ana"),
        *_words("thanks Ana", start=600, speaker="Bo"),
    ]
    cues = words_to_cues(words)
    assert cues == [
        ParsedCue(start_ms=0, end_ms=550, text="<v Ana>hello everyone"),
        ParsedCue(start_ms=600, end_ms=1150, text="<v Bo>thanks Ana"),
    ]
    assert [cue_segments(cue.text) for cue in cues] == [
        [("Ana", "hello everyone")],
        [("Bo", "thanks Ana")],
    ]


def test_markup_characters_in_words_are_escaped_and_empty_words_dropped():
    words = [Word(0, 100, "R&D"), Word(150, 200, " "), Word(250, 400, "<3")]
    assert words_to_cues(words) == [ParsedCue(start_ms=0, end_ms=400, text="R&amp;D &lt;3")]


def test_no_words_no_cues():
    assert words_to_cues([]) == []
