"""Speech the transcription tests make themselves: a sentence spoken by Festival's HTS voice
(a woman's), or by its diphone voice "kal" (a man's).

``make test`` installs Debian's festival, festvox-us-slt-hts, festvox-kallpc16k and sox
(Makefile ``festival``);
without them the tests that need spoken audio are skipped with that sentence. Spoken files are
cached per text under ``.cache/speech`` (the same text always gives the same file), so a session
of tests synthesises each sentence once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]
CACHE_DIR = PROJECT_DIR / ".cache" / "speech"
VOICE = "voice_cmu_us_slt_arctic_hts"
# A man's voice (Festival's diphone voice "kal"), for what must hold for more than one speaker.
MALE_VOICE = "voice_kal_diphone"
_VOICE_DIRS = {
    VOICE: Path("/usr/share/festival/voices/us/cmu_us_slt_arctic_hts"),
    MALE_VOICE: Path("/usr/share/festival/voices/english/kal_diphone"),
}
_VOICE_PACKAGES = {VOICE: "festvox-us-slt-hts", MALE_VOICE: "festvox-kallpc16k"}
# sox dithers when it writes 16-bit samples, from a random seed unless -R ("repeatable"): without
# it each machine heard slightly different audio, and a decoder's words could differ by one.
SOX_REPEATABLE = "-R"
RATE = 16_000

# A paragraph about the product's own topics: the words a session about it would use.
PARAGRAPH = (
    "Welcome to this knowledge sharing session about recommender systems. "
    "We look at how the recommender connects people with sessions, recordings and hosts. "
    "Every recording gets a transcript, so people who missed the session can catch up offline. "
    "After the session the feedback form goes out automatically, and the evaluation shows "
    "whether the culture grows."
)


def festival_missing(voice: str = VOICE) -> str:
    """Why spoken audio cannot be made here ("" when it can)."""
    if shutil.which("text2wave") is None:
        return "Festival's text2wave is not installed (make test installs festival)."
    if not _VOICE_DIRS[voice].is_dir():
        return (
            f"Festival's voice {voice} is not installed "
            f"(make test installs {_VOICE_PACKAGES[voice]})."
        )
    if shutil.which("sox") is None:
        return "sox is not installed (make test installs it)."
    return ""


def spoken_wav(text: str, *, rate: int = RATE, voice: str = VOICE) -> Path:
    """A mono 16-bit WAV file of ``text`` spoken by Festival's ``voice`` (its HTS voice unless
    told) at ``rate`` Hz.

    Skips the calling test when Festival or the voice is missing; cached by voice, text and rate.
    """
    reason = festival_missing(voice)
    if reason:
        pytest.skip(reason)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(f"{voice}\n{rate}\n{SOX_REPEATABLE}\n{text}".encode()).hexdigest()[:20]
    target = CACHE_DIR / f"{key}.wav"
    if target.exists():
        return target
    raw = CACHE_DIR / f"{key}.{os.getpid()}.raw.wav"
    subprocess.run(  # noqa: S603 - fixed commands, our own arguments
        ["/usr/bin/text2wave", "-eval", f"({voice})", "-o", str(raw)],
        input=text.encode(),
        check=True,
        capture_output=True,
        timeout=300,
    )
    partial = CACHE_DIR / f"{key}.{os.getpid()}.part.wav"
    subprocess.run(  # noqa: S603 - fixed commands, our own arguments
        [
            "/usr/bin/sox",
            SOX_REPEATABLE,
            str(raw),
            "-r",
            str(rate),
            "-c",
            "1",
            "-b",
            "16",
            str(partial),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    raw.unlink()
    partial.replace(target)  # whole or not at all: parallel workers may race here
    return target


def wav_samples(path: Path) -> npt.NDArray[np.int16]:
    """A mono 16-bit WAV file's samples."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise ValueError(f"{path} is not mono 16-bit.")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).copy()
