"""The recognisers behind ``Recogniser``, and ``recogniser_for`` that picks one. Pure: no Django.

pocketsphinx works out of the box: its wheel carries an English acoustic model, a pronouncing
dictionary (CMUdict) and a generic trigram language model, so nothing is fetched at run time.
Given the session's own text (title, abstract, notes, tags, slides) it adapts the language model
and dictionary to the words the talk is about (``vocabulary``). whisper loads a model directory
the administrator installed; its packages are an optional extra, imported only when chosen.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kshare.library.speech.types import Recogniser, RecogniserUnavailable, Word

BACKENDS = ("pocketsphinx", "whisper")
SAMPLE_RATE = 16_000
# pocketsphinx's front end takes one feature frame every 10 ms.
FRAME_MS = 10
# "word(2)": the second pronunciation of "word" in the dictionary.
# Fewer than 10 speech frames of the voice activity detector (300 ms) is no word worth a cue.
MIN_SPEECH_FRAMES = 10
_ALTERNATE = re.compile(r"\(\d+\)$")


def recogniser_for(
    *,
    backend: str = "pocketsphinx",
    model_dir: str = "",
    vocabulary_text: str = "",
    language: str = "en",
) -> Recogniser:
    """A loaded recogniser for ``backend``; ``RecogniserUnavailable`` (one sentence) when it
    cannot be loaded. ``vocabulary_text`` is the session's own text, to adapt to its words."""
    if backend == "pocketsphinx":
        return PocketsphinxRecogniser(
            model_dir=model_dir, vocabulary_text=vocabulary_text, language=language
        )
    if backend == "whisper":
        try:
            # An optional extra: its packages are installed only where an administrator wants it.
            from kshare.library.speech.whisper import WhisperRecogniser
        except ImportError as error:
            raise RecogniserUnavailable(
                "The whisper backend is not installed (install kshare's whisper extra)."
            ) from error
        return WhisperRecogniser(
            model_dir=model_dir, language=language, vocabulary_text=vocabulary_text
        )
    raise RecogniserUnavailable(
        f"Unknown speech recogniser backend {backend!r} (known: {', '.join(BACKENDS)})."
    )


def _shipped_model_dir() -> Path:
    import pocketsphinx  # loads a C extension; only when a recogniser is made

    return Path(pocketsphinx.get_model_path("en-us"))


def _pocketsphinx_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pocketsphinx")
    except PackageNotFoundError:  # pragma: no cover - imported from a source tree
        return "?"


class PocketsphinxRecogniser:
    """pocketsphinx with an English model: the wheel's, or one laid out the same way in
    ``model_dir`` (an acoustic model folder, a ``*.dict`` and a ``*.lm.bin``/``*.lm``).

    The model is loaded once, here; ``transcribe`` reuses it for every chunk (not thread-safe:
    one recogniser per worker thread).
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, *, model_dir: str = "", vocabulary_text: str = "", language: str = "en"):
        if language.split("-")[0].lower() != "en":
            raise RecogniserUnavailable(
                f"pocketsphinx's shipped model recognises English only, not {language!r}."
            )
        try:
            import pocketsphinx  # a C extension, loaded only when chosen
        except ImportError as error:  # pragma: no cover - a runtime dependency
            raise RecogniserUnavailable("The pocketsphinx package is not installed.") from error
        self.language = "en"
        acoustic, dictionary, language_model = _model_files(
            Path(model_dir) if model_dir else _shipped_model_dir()
        )
        self.name = f"pocketsphinx {_pocketsphinx_version()}"
        config = pocketsphinx.Config(
            hmm=str(acoustic), dict=str(dictionary), lm=str(language_model), loglevel="FATAL"
        )
        self._decoder = pocketsphinx.Decoder(config)
        self._vad = pocketsphinx.Vad(sample_rate=SAMPLE_RATE)

    def _has_speech(self, samples: npt.NDArray[np.int16]) -> bool:
        """Whether the voice activity detector hears at least ``MIN_SPEECH_FRAMES`` of speech."""
        step = self._vad.frame_bytes // 2  # 30 ms of 16-bit samples
        speech = 0
        for start in range(0, samples.size - step + 1, step):
            speech += self._vad.is_speech(samples[start : start + step].tobytes())
            if speech >= MIN_SPEECH_FRAMES:
                return True
        return False

    def transcribe(self, samples: npt.NDArray[np.int16], *, offset_ms: int) -> list[Word]:
        """The words in ``samples`` (16 kHz mono), timed from the decoder's segmentation."""
        if not self._has_speech(samples):
            # Left to itself the decoder finds a word even in digital silence ("dog").
            return []
        decoder = self._decoder
        decoder.start_utt()
        # full_utt: the whole chunk is one utterance, so cepstral normalisation sees all of it.
        decoder.process_raw(np.ascontiguousarray(samples, dtype=np.int16).tobytes(), full_utt=True)
        decoder.end_utt()
        words = []
        for segment in decoder.seg():
            text = _spoken(segment.word)
            if text:
                words.append(
                    Word(
                        start_ms=offset_ms + segment.start_frame * FRAME_MS,
                        end_ms=offset_ms + (segment.end_frame + 1) * FRAME_MS,
                        text=text,
                    )
                )
        return words


def _spoken(token: str) -> str:
    """A segment's word as spoken text; "" for silence, sentence marks and fillers."""
    # <s>, </s>, <sil>; [NOISE], [BREATH]; ++NOISE++ in older dictionaries.
    if token.startswith(("<", "[", "+")):
        return ""
    return _ALTERNATE.sub("", token)


def _model_files(directory: Path) -> tuple[Path, Path, Path]:
    """The acoustic model folder, dictionary and language model in ``directory``."""
    if not directory.is_dir():
        raise RecogniserUnavailable(f"The speech model folder {directory} does not exist.")
    acoustic = next((d for d in sorted(directory.iterdir()) if (d / "mdef").is_file()), None)
    dictionaries = sorted(directory.glob("*.dict"))
    models = [
        p
        for p in sorted(directory.glob("*.lm.bin")) + sorted(directory.glob("*.lm"))
        if "phone" not in p.name  # en-us-phone.lm.bin is for phoneme recognition
    ]
    if acoustic is None or not dictionaries or not models:
        raise RecogniserUnavailable(
            f"The speech model folder {directory} lacks an acoustic model, a dictionary "
            "or a language model."
        )
    return acoustic, dictionaries[0], models[0]
