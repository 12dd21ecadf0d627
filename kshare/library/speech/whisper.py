"""The higher-accuracy recogniser: OpenAI's Whisper models run by faster-whisper (CTranslate2).

Optional: ``pip install "kshare[whisper]"`` installs the engine, and the administrator installs a
model directory (a CTranslate2 conversion of a Whisper model) and points
``KSHARE_TRANSCRIBE_MODEL_DIR`` at it. Nothing is fetched at run time: the model and its
tokenizer are read from that directory only (faster-whisper would otherwise download a
tokenizer from the Hugging Face hub when ``tokenizer.json`` is missing, so ``model_problem``
requires it).

Why faster-whisper rather than whisper.cpp (pywhispercpp): both install from binary wheels, but
faster-whisper gives word timestamps from the model's own cross-attention alignment, runs int8
on the CPU (about half the memory of float32), decodes nothing itself (we hand it samples), and a
real converted model is installable offline for the tests (docs/transcripts.md).
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .types import RecogniserUnavailable, Word

#: What ``pip install`` line makes the engine available (named in every "missing" sentence).
INSTALL_HINT = 'pip install "kshare[whisper]"'
#: The files a model directory must hold: the converted weights, the model's configuration and
#: the tokenizer; plus one of ``VOCABULARY_FILES`` (CTranslate2's vocabulary).
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
VOCABULARY_FILES = ("vocabulary.json", "vocabulary.txt")
SAMPLE_RATE = 16_000
#: How many of the session's words are offered to the model as hints. faster-whisper keeps at
#: most 223 tokens of hints; names split into several tokens each, so 40 words fit.
HOTWORDS_MAX = 40
# After these (or at the start of the text) a capital letter says nothing about the word:
# sentence ends, line breaks, opening quotes (straight and typographic) and brackets.
OPENERS = ".!?:;\n\"'\u201c\u201d\u2018(["
# A word: letters first, then letters, digits, apostrophes (' and U+2019) or hyphens.
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*\w|[^\W\d_]")


def package_problem() -> str:
    """Why the engine cannot be imported ("" when it can), without importing it (it is heavy)."""
    if importlib.util.find_spec("faster_whisper") is None:
        return f"The whisper recogniser needs the faster-whisper package: {INSTALL_HINT}."
    return ""


def model_problem(model_dir: str) -> str:
    """Why ``model_dir`` cannot be loaded as a Whisper model, in one sentence ("" when it can).

    Checks what can be seen without loading the model, for the start-up system check: the
    directory, the files a CTranslate2 conversion holds, then the engine package.
    """
    if not model_dir:
        return (
            "The whisper recogniser needs a model directory: set KSHARE_TRANSCRIBE_MODEL_DIR "
            "to a CTranslate2 conversion of a Whisper model (docs/transcripts.md)."
        )
    path = Path(model_dir)
    if not path.exists():
        return f"The whisper model directory {model_dir} does not exist."
    if not path.is_dir():
        return f"The whisper model directory {model_dir} is a file, not a directory."
    for name in MODEL_FILES:
        if not (path / name).is_file():
            return (
                f"The whisper model directory {model_dir} has no {name}: it must hold a "
                "CTranslate2 conversion of a Whisper model (model.bin, config.json, "
                "tokenizer.json and vocabulary.json or vocabulary.txt)."
            )
    if not any((path / name).is_file() for name in VOCABULARY_FILES):
        return (
            f"The whisper model directory {model_dir} has no vocabulary.json or vocabulary.txt: "
            "it must hold a CTranslate2 conversion of a Whisper model."
        )
    return package_problem()


def hotwords_from(vocabulary_text: str) -> str:
    """The words of the session's own text worth hinting to Whisper, most telling first.

    Words capitalised inside a sentence (names, products, acronyms: what a generic model
    mishears) come first, in the order the text first uses them; then the other words, longest
    first (long words are the technical ones; short ones the model knows). Words of fewer than
    four letters are left out. Each word once, as first spelled; at most ``HOTWORDS_MAX``.
    """
    spelling: dict[str, str] = {}
    named: set[str] = set()
    for match in _WORD.finditer(vocabulary_text):
        word, key = match.group(), match.group().lower()
        if len(key) < 4:
            continue
        if word != key and not _starts_sentence(vocabulary_text, match.start()):
            named.add(key)
            if spelling.get(key, key) == key:
                spelling[key] = word  # the name's own spelling, not a lower-case use of it
        spelling.setdefault(key, word)
    order = {key: index for index, key in enumerate(spelling)}

    def rank(key: str) -> tuple[int, int, int]:
        return (0, order[key], 0) if key in named else (1, -len(key), order[key])

    return " ".join(spelling[key] for key in sorted(spelling, key=rank)[:HOTWORDS_MAX])


def _starts_sentence(text: str, index: int) -> bool:
    """Whether the word at ``index`` opens the text, a sentence, a line or a quotation (where a
    capital letter says nothing about the word)."""
    index -= 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    return index < 0 or text[index] in OPENERS


class WhisperRecogniser:
    """Whisper through faster-whisper: punctuated, cased words with their own timestamps.

    The model is loaded once, int8-quantised on the CPU (a converted float16 ``small`` model
    needs ~0.5 GB instead of ~1 GB), with ``threads`` CTranslate2 threads (default: every core).
    Each ``transcribe`` call decodes one chunk on its own (no text carried over from the
    previous chunk, so one misheard stretch cannot make the model repeat itself for the rest of
    the recording); Silero voice activity detection (bundled with faster-whisper) skips the
    silences, where Whisper otherwise invents sentences. ``vocabulary_text`` is the session's
    own text (title, abstract, notes, tags, slides): its telling words are hinted to the model.
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        *,
        model_dir: str,
        language: str = "en",
        threads: int | None = None,
        vocabulary_text: str = "",
    ) -> None:
        problem = model_problem(model_dir)
        if problem:
            raise RecogniserUnavailable(problem)
        try:
            import faster_whisper  # optional and heavy: only when chosen
            from faster_whisper.tokenizer import _LANGUAGE_CODES
        except ImportError as error:  # installed but broken (a missing shared library, …)
            raise RecogniserUnavailable(
                f"The whisper recogniser could not load faster-whisper ({error}): {INSTALL_HINT}."
            ) from error
        # Whisper knows languages by ISO 639-1 code: "en-GB" is "en".
        code = language.split("-")[0].split("_")[0].lower()
        if code not in _LANGUAGE_CODES:
            raise RecogniserUnavailable(f"Whisper does not recognise the language {language!r}.")
        try:
            self._model: Any = faster_whisper.WhisperModel(
                model_dir,
                device="cpu",
                compute_type="int8",
                cpu_threads=threads or os.cpu_count() or 1,
            )
        except (RuntimeError, ValueError, OSError) as error:
            raise RecogniserUnavailable(
                f"The whisper model in {model_dir} could not be loaded ({error})."
            ) from error
        #: False for the English-only models (tiny.en, base.en, …).
        self.multilingual = bool(self._model.model.is_multilingual)
        if code != "en" and not self.multilingual:
            # faster-whisper would silently transcribe it as English.
            raise RecogniserUnavailable(
                f"The whisper model in {model_dir} is English-only; "
                f"language {language!r} needs a multilingual model (one without .en in its name)."
            )
        self.language = code
        # The session's own words as hints for every 30-second window (faster-whisper's
        # "hotwords"): names and jargon come out spelled as the session spells them.
        self.hotwords = hotwords_from(vocabulary_text)
        self.name = f"whisper {Path(model_dir).name} (faster-whisper {faster_whisper.__version__})"

    def calibrate(self, samples: npt.NDArray[np.int16]) -> str:
        """Nothing to choose: Whisper was trained on many voices and needs no speaker warp."""
        return ""

    def calibrated(self, choice: str) -> None:
        """Nothing to restore (see ``calibrate``)."""

    def transcribe(self, samples: npt.NDArray[np.int16], *, offset_ms: int) -> list[Word]:
        """The words in ``samples`` (mono, 16 kHz), timed from ``offset_ms``.

        A word keeps Whisper's casing and its attached punctuation ("Welcome", "systems.").
        """
        if samples.size == 0:
            return []
        audio = samples.astype(np.float32) / 32768.0
        chunk_end_ms = offset_ms + samples.size * 1000 // SAMPLE_RATE
        segments, _info = self._model.transcribe(
            audio,
            language=self.language,
            word_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=True,
            hotwords=self.hotwords or None,
        )
        words: list[Word] = []
        for segment in segments:  # a generator: decoding happens while iterating
            for word in segment.words or ():
                text = word.word.strip()
                if not text:
                    continue
                start_ms = min(offset_ms + round(word.start * 1000), chunk_end_ms)
                end_ms = min(max(offset_ms + round(word.end * 1000), start_ms), chunk_end_ms)
                words.append(Word(start_ms=start_ms, end_ms=end_ms, text=text))
        return words
