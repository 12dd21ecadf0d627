"""The recognisers behind ``Recogniser``, and ``recogniser_for`` that picks one. Pure: no Django.

pocketsphinx works out of the box: its wheel carries an English acoustic model, a pronouncing
dictionary (CMUdict) and a generic trigram language model, so nothing is fetched at run time.
Given the session's own text (title, abstract, notes, tags, slides) it adapts the language model
and dictionary to the words the talk is about (``vocabulary``). whisper loads a model directory
the administrator installed; its packages are an optional extra, imported only when chosen.

Adaptation (measured on six Festival paragraphs about the product, each with a separately written
session abstract; ``tests/speech_sessions.py``): every content word and two-word term of the
session text becomes a dictionary and language-model token of its own ("recommender_systems~")
with a boosted unigram weight; words CMUdict lacks get phones from a known stem and a regular
ending ("recommend" + "er") or two known words. Pairs of a function word and a term ("the host")
become tokens too, standing in for the bigrams a model of the session's text would have. Mean WER
0.196 generic → 0.117 adapted on clean speech, then 0.100 with the phrases and the adapted
language weights below; on the benchmark's eight other paragraphs (``make bench``, never used for
tuning) 0.165 → 0.156 as WAV, 0.176 → 0.170 as the Ogg Opus files it measures.
The generic trigram model itself cannot be rewritten here: the wheel's binding can read it but
not write it back (``NGramModel.write`` crashes), and its model sets choose one model rather than
interpolate. So the interpolation happens after decoding instead (``rescore``): the chunk's word
lattice, which nearly always holds the words said, is searched again with the generic model's
trigrams mixed 0.95/0.05 with a trigram model of the session's text (``RESCORE_WEIGHTS``). Tests'
paragraphs adapted 0.100 → 0.082 clean, 0.294 → 0.275 noisy; the benchmark's (Opus, measured
before and after on the same day) 0.159 → 0.126 clean, 0.322 → 0.291 noisy, for under 0.04 CPU
seconds per audio second more. A recogniser without session text keeps the decoder's own path.
Chunks with steady background noise are cleaned first (``denoise``).
"""

from __future__ import annotations

import math
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kshare.library.speech import rescore
from kshare.library.speech.denoise import reduce_noise
from kshare.library.speech.types import Recogniser, RecogniserUnavailable, Word
from kshare.library.speech.vocabulary import session_phrases, session_terms

BACKENDS = ("pocketsphinx", "whisper")
SAMPLE_RATE = 16_000
# pocketsphinx's front end takes one feature frame every 10 ms.
FRAME_MS = 10
# Fewer than 10 speech frames of the voice activity detector (300 ms) is no word worth a cue.
MIN_SPEECH_FRAMES = 10
# The search's limits: at most 8,000 active HMMs and 20 word exits per 10 ms frame. On noisy
# speech the defaults (30,000, no limit) kept the decoder busy on the hiss's many near-equal
# guesses: 0.52 → 0.30 CPU seconds per audio second at the same word error rate (0.37 → 0.37,
# the tests' and the benchmark's paragraphs); on clean speech it changes nothing measurable.
SEARCH_LIMITS = {"maxhmmpf": 8000, "maxwpf": 20}
# With the session's terms in the model, its weight in the two later passes is lowered from
# 8.5/9.5 to 7.0/8.5: the boosted terms already pull hard, and the acoustic evidence should
# decide between them and the generic words (tuned on the tests' paragraphs: WER 0.115 → 0.100;
# the benchmark's 0.162 → 0.156 as WAV, unchanged as Opus). The generic model keeps the defaults.
ADAPTED_WEIGHTS = {"fwdflatlw": 7.0, "bestpathlw": 8.5}
# With the session's text, the chunk's words come from its lattice rescored (``rescore``):
# trigrams of the generic model, 0.95 of its probability and 0.05 of a trigram model of the
# session's text; language weight 9.5, -3 per word and -2 per filler (natural-log units).
# Chosen on the tests' paragraphs only (a grid over weight 6.5 to 14, per word 0 to -6, per
# filler -2/-5, generic share 0.5 to 1): WER adapted clean 0.100 -> 0.082, noisy 0.294 -> 0.275.
# Without session text the generic trigrams alone changed a word or two either way (tests'
# clean 0.201 -> 0.197, noisy 0.357 -> 0.361; the benchmark's clean 0.188 -> 0.193, noisy
# 0.379 -> 0.365): no reliable gain for the time, so a generic recogniser keeps the decoder's
# own best path.
RESCORE_WEIGHTS = rescore.Weights(language=9.5, insertion=-3.0, filler=-2.0, generic=0.95)
# Speaker normalisation (vocal tract length normalisation): the front end scales the frequency
# axis by a warp chosen once per recording, the one under which the shipped acoustic model finds
# the recording's first speech most likely (``calibrate``; a climb from 1.0 in steps of 0.1).
# The model was trained mostly on men's voices: a woman's formants sit higher, and scaling them
# down brings them to where the model expects them. Measured (tests' paragraphs / the benchmark's
# eight, adapted, clean): Festival's female HTS voice chose 1.3-1.4 by likelihood, and every
# fixed warp from 1.0 to 1.4 gave WER 0.093 / 0.123 (1.0), 0.086 / 0.116 (1.1), 0.074 / 0.092
# (1.2), 0.063 / 0.099 (1.3), 0.071 / 0.094 (1.4); Festival's male diphone voice chose 0.9-1.0,
# where it is best (both sets: 0.185 at 1.0, 0.195 at 1.1, 0.233 at 1.2), so a fixed warp would
# have helped one voice and hurt the other.
WARPS = (0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4)
# The speech the warp is chosen on: up to 15 s from the first speech of the first chunk, decoded
# once per warp tried (3 to 5 times: about 7 to 14 CPU seconds per recording, once).
CALIBRATION_SECONDS = 15
# The front end keeps its warp in process-wide state (sphinxbase's fe_warp_inverse_linear.c): a
# decoder made without a warp marks it neutral, and one made later with the same warp text as
# the last parsed one is not parsed again, so it stays neutral. Every decoder here is therefore
# made with an explicit warp ("1.0" is exactly no warp), one at a time.
_FRONT_END = threading.Lock()
# A lattice file past this is not read (a 30 s chunk's is about 0.1 to 1 MB): the decoder's own
# best path stands instead, as it does when there is no lattice or it is over rescore's bounds.
MAX_LATTICE_BYTES = 16 * 1024 * 1024


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
        self._model = {
            "hmm": str(acoustic),
            "dict": str(dictionary),
            "lm": str(language_model),
            "loglevel": "FATAL",
            "warp_params": "1.0",
            **SEARCH_LIMITS,
        }
        config = pocketsphinx.Config(
            **self._model, **(ADAPTED_WEIGHTS if vocabulary_text.strip() else {})
        )
        self._pocketsphinx = pocketsphinx
        self._config = config
        self.warp = 1.0
        self._vocabulary_text = vocabulary_text
        self._adapted = False
        self._decoder: Any = self._new_decoder()  # the first chunk's; later chunks get new ones
        self._session_model: rescore.SessionModel | None = None
        if self._adapted:
            self.name += ", adapted to the session"
            self._session_model = rescore.SessionModel.of(vocabulary_text)
        self._vad = pocketsphinx.Vad(sample_rate=SAMPLE_RATE)

    def _new_decoder(self) -> Any:
        """A decoder as the model leaves it, adapted to the session's words.

        pocketsphinx carries state from one utterance to the next (its live cepstral mean and
        frame counts, which ``set_cmn`` restores only in part), so a chunk decoded after others
        came out differently from the same chunk decoded first. Every chunk gets a new decoder
        (about 0.5 s of CPU per chunk): its words then never depend on which chunks this process
        decoded before, and a worker that resumes a job hears what an uninterrupted one heard.
        """
        with _FRONT_END:
            decoder = self._pocketsphinx.Decoder(self._config)
        self._adapted = bool(self._vocabulary_text.strip()) and bool(
            _adapt(decoder, self._vocabulary_text)
        )
        return decoder

    def _has_speech(self, samples: npt.NDArray[np.int16]) -> bool:
        """Whether the voice activity detector hears at least ``MIN_SPEECH_FRAMES`` of speech."""
        step = self._vad.frame_bytes // 2  # 30 ms of 16-bit samples
        speech = 0
        for start in range(0, samples.size - step + 1, step):
            speech += self._vad.is_speech(samples[start : start + step].tobytes())
            if speech >= MIN_SPEECH_FRAMES:
                return True
        return False

    def _first_speech(self, samples: npt.NDArray[np.int16]) -> int:
        """Where the voice activity detector first hears speech in ``samples`` (their end when
        it never does)."""
        step = self._vad.frame_bytes // 2
        for start in range(0, samples.size - step + 1, step):
            if self._vad.is_speech(samples[start : start + step].tobytes()):
                return start
        return samples.size

    def calibrate(self, samples: npt.NDArray[np.int16]) -> str:
        """Chooses the speaker's frequency warp (``WARPS``) from ``samples``, the recording's
        first chunk, for every later ``transcribe``; returns it as text for ``calibrated``
        ("1.3"), or "" when the chunk has too little speech to choose (no warp then)."""
        start = self._first_speech(samples)
        sample = np.ascontiguousarray(
            samples[start : start + CALIBRATION_SECONDS * SAMPLE_RATE], dtype=np.int16
        )
        if not self._has_speech(sample):
            return ""
        sample = reduce_noise(sample)
        scores: dict[float, float] = {}

        def likelihood(warp: float) -> float:
            if warp not in scores:
                scores[warp] = self._acoustic_likelihood(sample, warp)
            return scores[warp]

        best = 1.0
        for step in (1, -1):  # up while it gets better; down when going up did not help
            at = WARPS.index(best) + step
            while 0 <= at < len(WARPS) and likelihood(WARPS[at]) > likelihood(best):
                best = WARPS[at]
                at += step
            if best != 1.0:
                break
        self._use_warp(best)
        return f"{best:.1f}"

    def calibrated(self, choice: str) -> None:
        """Uses a warp ``calibrate`` chose earlier for this recording (a later step of the same
        job); an empty or unknown choice leaves the speaker unwarped."""
        try:
            warp = float(choice)
        except ValueError:
            return
        if warp in WARPS:
            self._use_warp(warp)

    def _use_warp(self, warp: float) -> None:
        self.warp = warp
        self._config["warp_params"] = f"{warp:.1f}"
        self._decoder = None  # the next chunk's decoder is made with the warp

    def _acoustic_likelihood(self, samples: npt.NDArray[np.int16], warp: float) -> float:
        """The mean natural-log acoustic score per frame of ``samples``' best path, with the
        front end warped by ``warp`` (a generic decoder of its own, so nothing carries over)."""
        config = self._pocketsphinx.Config(**{**self._model, "warp_params": f"{warp:.1f}"})
        with _FRONT_END:
            decoder = self._pocketsphinx.Decoder(config)
        decoder.start_utt()
        decoder.process_raw(samples.tobytes(), full_utt=True)
        decoder.end_utt()
        total = 0.0
        frames = 0
        for segment in decoder.seg():
            # The binding gives the score as a probability: a long pause's underflows to 0.
            if segment.ascore > 0:
                total += math.log(segment.ascore)
                frames += segment.end_frame - segment.start_frame + 1
        return total / frames if frames else -math.inf

    def transcribe(self, samples: npt.NDArray[np.int16], *, offset_ms: int) -> list[Word]:
        """The words in ``samples`` (16 kHz mono), timed from the decoder's segmentation."""
        if not self._has_speech(samples):
            # Left to itself the decoder finds a word even in digital silence ("dog").
            return []
        samples = reduce_noise(np.ascontiguousarray(samples, dtype=np.int16))
        decoder, self._decoder = self._decoder, None
        if decoder is None:
            decoder = self._new_decoder()
        decoder.start_utt()
        # full_utt: the whole chunk is one utterance, so cepstral normalisation sees all of it.
        decoder.process_raw(samples.tobytes(), full_utt=True)
        decoder.end_utt()
        segments = self._rescored(decoder)
        if segments is None:
            segments = [
                rescore.Segment(segment.word, segment.start_frame, segment.end_frame)
                for segment in decoder.seg()
            ]
        words: list[Word] = []
        for segment in segments:
            text = _spoken(segment.word)
            if text:
                words.extend(
                    _split_term(
                        text,
                        offset_ms + segment.start_frame * FRAME_MS,
                        offset_ms + (segment.end_frame + 1) * FRAME_MS,
                    )
                )
        return words

    def _rescored(self, decoder: Any) -> list[rescore.Segment] | None:
        """The utterance's best path through its lattice under trigram scores (``rescore``);
        None when there is no lattice, or it is too large to search in bounded time and memory
        (then the decoder's own segmentation is used), and without session text (see
        ``RESCORE_WEIGHTS``)."""
        if self._session_model is None:
            return None
        lattice = decoder.get_lattice()
        if lattice is None:
            return None
        # The binding can only write a lattice to a file; it offers no walk over its nodes.
        with tempfile.TemporaryDirectory(prefix="kshare-lattice-") as folder:
            path = Path(folder) / "chunk.lat"
            lattice.write(str(path))
            if path.stat().st_size > MAX_LATTICE_BYTES:
                return None
            text = path.read_text(encoding="utf-8", errors="replace")
        try:
            return rescore.rescored(
                text,
                generic=rescore.pocketsphinx_model(decoder.get_lm()),
                session=self._session_model,
                weights=RESCORE_WEIGHTS,
            )
        except ValueError:  # not a lattice, or over its bounds (rescore.TooLarge)
            return None


def _spoken(token: str) -> str:
    """A segment's word as spoken text; "" for silence, sentence marks and fillers."""
    # <s>, </s>, <sil>; [NOISE], [BREATH]; ++NOISE++ in older dictionaries.
    if token.startswith(("<", "[", "+")):
        return ""
    # "word(2)": the second pronunciation of "word" in the dictionary.
    return rescore.token(token).removesuffix(TERM_MARK)


def _split_term(text: str, start_ms: int, end_ms: int) -> list[Word]:
    """A session term's segment ("recommender_systems") as its words, the segment's time shared
    out by their lengths in letters (the decoder times the term as a whole)."""
    parts = text.split("_")
    if len(parts) == 1:
        return [Word(start_ms=start_ms, end_ms=end_ms, text=text)]
    letters = sum(len(part) for part in parts)
    words = []
    at = start_ms
    seen = 0
    for part in parts:
        seen += len(part)
        until = start_ms + round((end_ms - start_ms) * seen / letters)
        words.append(Word(start_ms=at, end_ms=until, text=part))
        at = until
    return words


# Session terms enter the dictionary and language model as their own tokens ("offline~",
# "recommender_systems~"), so they can be favoured without touching the generic model's entries.
TERM_MARK = rescore.TERM_MARK
# A term's unigram weight relative to a uniformly likely word (the generic model has ~72,500):
# BOOST / 72,500 for a term the session text names once, more for one it repeats.
BOOST = 10.0


def _adapt(decoder: Any, text: str) -> int:
    """Adds the session text's terms to ``decoder``'s dictionary and language model; how many.

    Each term becomes one token with a unigram weight, so a two-word term ("recommender
    systems") is favoured as a whole, which a unigram boost of its words alone would not do.
    """
    entries = []
    terms = session_terms(text)
    seen = {term.words for term in terms}
    # "catch up" is a term (from "catch-up") and would be a phrase too ("up" is a function word).
    terms += [phrase for phrase in session_phrases(text) if phrase.words not in seen]
    for term in terms:
        phones = [_pronunciation(decoder, word) for word in term.words]
        if all(phones):  # a word without a pronunciation we trust: better unheard than misheard
            token = "_".join(term.words) + TERM_MARK
            entries.append((token, " ".join(phones), BOOST * (1 + math.log(term.count))))
    lm = decoder.get_lm()
    for number, (token, pronunciation, weight) in enumerate(entries, start=1):
        lm.add_word(token, weight)
        # The decoder rebuilds its search once, after the last word.
        decoder.add_word(token, pronunciation, number == len(entries))
    return len(entries)


# British spellings CMUdict lacks, as its American ones: the sound is the same, and the
# transcript keeps the session's own spelling ("organisers", "programme", "colour").
_BRITISH = (
    (re.compile(r"is(e|es|ed|er|ers|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"our(s|ed|ing|ful)?$"), r"or\1"),
    (re.compile(r"programme(s)?$"), r"program\1"),
    (re.compile(r"tre(s)?$"), r"ter\1"),
    (re.compile(r"ogue(s)?$"), r"og\1"),
)


def _american(word: str) -> str:
    for pattern, replacement in _BRITISH:
        word = pattern.sub(replacement, word)
    return word


# Endings whose sound follows the stem's: "recommend" + "er" is "recommender".
_SUFFIXES = (
    ("ers", "ER Z"),
    ("er", "ER"),
    ("ing", "IH NG"),
    ("ed", "D"),
    ("es", "IH Z"),
    ("s", "Z"),
    ("ly", "L IY"),
)


def _pronunciation(decoder: Any, word: str) -> str:
    """``word``'s phones from the dictionary; for a word it lacks, a known stem plus a regular
    ending, or two known words ("offline" = "off" + "line"); "" when neither works."""
    known = decoder.lookup_word(word) or decoder.lookup_word(_american(word))
    if known:
        return str(known)
    for ending, phones in _SUFFIXES:
        stem = word.removesuffix(ending)
        if stem != word and len(stem) >= 3:
            stem_phones = decoder.lookup_word(stem)
            if stem_phones:
                return f"{stem_phones} {phones}"
    for cut in range(len(word) - 3, 2, -1):  # longest first part first
        first, second = decoder.lookup_word(word[:cut]), decoder.lookup_word(word[cut:])
        if first and second:
            return f"{first} {second}"
    return ""


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
