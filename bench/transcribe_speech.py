"""The speech bench_transcribe listens to: paragraphs spoken by Festival, noise, Ogg Opus files.

Everything here is made by the benchmark itself and cached under ``.cache/``: a spoken paragraph
per text (``.cache/speech``, the same key as kshare's test samples, so the two share files), an
encoded file per paragraph and condition, and one long recording per length
(``.cache/bench/transcribe``). The same text, seed and bit rate always give the same file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
SPEECH_CACHE = ROOT / ".cache" / "speech"
CACHE = ROOT / ".cache" / "bench" / "transcribe"
VOICE = "voice_cmu_us_slt_arctic_hts"
# Repeatable dither (see kshare/library/tests/speech_samples.py): the same audio on every machine.
SOX_REPEATABLE = "-R"
TEXT2WAVE = "/usr/bin/text2wave"
SOX = "/usr/bin/sox"
VOICE_DIR = Path("/usr/share/festival/voices/us/cmu_us_slt_arctic_hts")
RATE = 16_000
SNR_DB = 20.0
# Ogg Opus at 32 kbit/s: what a meeting tool's speech recording is typically stored as.
CODEC = "libopus"
BITRATE = 32_000
FORMAT = f"ogg/opus {BITRATE // 1000} kbit/s"
# Between paragraphs of the long recording: a speaker's pause.
PAUSE_S = 1.5
CONDITIONS = ("clean", "noisy_20db")

Samples = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Paragraph:
    """What is spoken, and the session it belongs to (title, abstract, notes).

    Both are in American spelling ("program", "organizer"), the recognisers' dictionary's: a
    British "programme" heard right would count as an error, which measures spelling, not
    hearing.

    The session text names the paragraph's topics in other sentences than the spoken ones: it is
    what a host would have written on the session's page, the recogniser's adaptation input.
    """

    key: str
    spoken: str
    title: str
    abstract: str
    notes: str

    @property
    def session_text(self) -> str:
        return f"{self.title}\n\n{self.abstract}\n\n{self.notes}"


PARAGRAPHS = (
    Paragraph(
        "sessions",
        "Knowledge sharing sessions work best when they are short and regular. A colleague "
        "explains something they learned last month, answers questions for a quarter of an hour, "
        "and the group leaves with notes they can use on Monday. The host does not need slides or "
        "a stage, only a topic, a room and a calendar invitation. People join because a teammate "
        "they trust is speaking, and they come back when the sessions keep their promise: one "
        "useful idea, clearly explained, with time left for discussion.",
        "Running knowledge sharing sessions that colleagues actually attend",
        "How to plan a short and regular session: choosing a topic, booking a room, sending the "
        "calendar invitation and leaving enough time for questions and discussion at the end.",
        "Sessions by colleagues for colleagues. Slides are optional. Trust between teammates "
        "matters more than a stage. Promise one useful idea and explain it clearly.",
    ),
    Paragraph(
        "recommender",
        "The recommender system suggests sessions to each person from what they attended, the "
        "tags they follow and the feedback they gave. It uses collaborative filtering: people who "
        "liked the same sessions probably share interests. For newcomers with no history, it "
        "falls back on popular sessions in their department. We evaluate the recommender offline "
        "with precision and recall on past attendance, and online by counting how many suggested "
        "invitations were accepted. A recommendation always says why it was made, so nobody "
        "wonders about a black box.",
        "Recommender systems for internal learning",
        "Collaborative filtering over attendance, followed tags and feedback; the cold start "
        "problem for newcomers; evaluating recommendations with precision, recall and accepted "
        "invitations.",
        "Every recommendation is explained. Fallback: popular sessions by department. Offline "
        "evaluation on past attendance, online evaluation on suggested invitations.",
    ),
    Paragraph(
        "feedback",
        "After every session a short feedback form goes out automatically. It asks three things: "
        "was the session useful, was it clear, and what should the host change next time. "
        "Answers are anonymous unless the attendee chooses to sign them. The host sees a summary "
        "the next morning, with the comments grouped by theme. Organizers watch the evaluation "
        "across a whole program, because one bad rating says little, while a trend over "
        "several months shows whether the culture of sharing is growing.",
        "Feedback forms that hosts read",
        "Designing the feedback form sent after each session: usefulness, clarity and one "
        "suggestion for the host; anonymous or signed answers; a morning summary with comments "
        "grouped by theme.",
        "Evaluation of a program over months, not single ratings. Does the sharing culture "
        "grow? Organizers follow the trend.",
    ),
    Paragraph(
        "transcripts",
        "When a host uploads a recording, the server decodes the audio and a speech recognizer "
        "writes a transcript automatically. The transcript is split into cues with timings, so "
        "the player highlights the sentence being spoken. Chapters group the cues by topic, and "
        "each chapter gets a title made of its key words. Search indexes every transcript, which "
        "means a colleague can type a phrase and jump to the exact moment it was said. The host "
        "can correct any cue, and a human transcript replaces the automatic one.",
        "Recordings and automatic transcripts",
        "From an uploaded recording to a searchable transcript: decoding audio, speech "
        "recognition, cues and timings, chapters with key word titles, and the player that "
        "highlights the current cue.",
        "Search finds a phrase and jumps to its moment. Hosts correct cues; a human transcript "
        "replaces the automatic transcript.",
    ),
    Paragraph(
        "catch_up",
        "Not everyone can attend live. People on holiday, in another time zone or simply busy "
        "catch up offline. The catch-up page lists the sessions they missed, marks which ones "
        "have a recording and a transcript, and shows the chapters so they can skip to the part "
        "that matters. Reading a transcript takes a few minutes, while watching a full recording "
        "takes an hour. A weekly digest mail reminds each absentee of what they missed, without "
        "flooding their inbox.",
        "Offline catch-up for absentees",
        "Colleagues on holiday or in other time zones: the catch-up page, missed sessions with "
        "recordings and transcripts, chapters to skip to, and the weekly digest mail.",
        "An absentee reads a transcript in minutes instead of watching for an hour. The digest "
        "must not flood the inbox.",
    ),
    Paragraph(
        "ideas",
        "Good sessions often start as ideas. Anyone can post an idea for a workshop, and "
        "colleagues vote for the ones they want. When an idea collects enough votes, the "
        "platform asks who would host it and proposes a few time slots that suit the interested "
        "people. The idea then becomes a scheduled workshop, and everyone who voted receives an "
        "invitation. Ideas that nobody supports fade from the list after a while, so the board "
        "stays short and lively.",
        "From ideas to workshops",
        "Posting an idea, voting, finding a host and proposing time slots that suit the "
        "interested colleagues; the scheduled workshop invites every voter.",
        "Unsupported ideas fade from the board after a while. Keep the idea board short and "
        "lively.",
    ),
    Paragraph(
        "rhythm",
        "A program has a weekly rhythm: the same day, the same hour, the same room, so "
        "attending becomes a habit. The scheduler avoids public holidays and office closure "
        "days, and it warns the organizer when a slot stays empty. Reminders go out the day "
        "before and an hour before each session. Keeping the rhythm matters more than filling "
        "every week with a famous speaker; a quiet week with a small demonstration still keeps "
        "the habit alive.",
        "The weekly rhythm of a program",
        "Same day, same hour, same room: a program's rhythm turns attendance into a habit. "
        "Scheduling around public holidays and office closure days, empty slot warnings and "
        "reminders.",
        "A small demonstration in a quiet week beats a famous speaker once a quarter. Reminders: "
        "one day before, one hour before.",
    ),
    Paragraph(
        "hosting",
        "Hosting a session for the first time can feel intimidating. The platform helps the host "
        "prepare with a short checklist: a clear title, an abstract of two or three sentences, "
        "and one question for the audience. During the session the host shares the screen and "
        "keeps an eye on the chat. Afterwards the host uploads the slides and the recording, "
        "reads the feedback, and thanks the people who came. Many first time hosts volunteer "
        "again within a month.",
        "Hosting your first session",
        "A checklist for first time hosts: a clear title, a short abstract, a question for the "
        "audience; sharing the screen and watching the chat; uploading slides and the recording "
        "afterwards.",
        "Read the feedback and thank the attendees. First time hosts often volunteer again.",
    ),
)


def festival_missing() -> str:
    """Why spoken audio cannot be made here ("" when it can); ``make festival`` installs them."""
    if not Path(TEXT2WAVE).exists():
        return "Festival's text2wave is not installed (make bench installs festival)."
    if not VOICE_DIR.is_dir():
        return "Festival's HTS voice is not installed (make bench installs festvox-us-slt-hts)."
    if shutil.which(SOX) is None:
        return "sox is not installed (make bench installs it)."
    return ""


def spoken_wav(text: str) -> Path:
    """``text`` spoken by Festival's HTS voice, resampled by sox to 16 kHz mono 16-bit (cached)."""
    SPEECH_CACHE.mkdir(parents=True, exist_ok=True)
    # The key of kshare.library.tests.speech_samples.spoken_wav: both share the cached files.
    key = hashlib.sha256(f"{VOICE}\n{RATE}\n{SOX_REPEATABLE}\n{text}".encode()).hexdigest()[:20]
    target = SPEECH_CACHE / f"{key}.wav"
    if target.exists():
        return target
    raw = SPEECH_CACHE / f"{key}.{os.getpid()}.raw.wav"
    partial = SPEECH_CACHE / f"{key}.{os.getpid()}.part.wav"
    subprocess.run(  # noqa: S603 - fixed programs, our own arguments
        [TEXT2WAVE, "-eval", f"({VOICE})", "-o", str(raw)],
        input=text.encode(),
        check=True,
        capture_output=True,
        timeout=900,
    )
    subprocess.run(  # noqa: S603 - fixed programs, our own arguments
        [SOX, SOX_REPEATABLE, str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(partial)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    raw.unlink()
    partial.replace(target)  # whole or not at all
    return target


def wav_samples(path: Path) -> Samples:
    """A mono 16-bit WAV file's samples."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1 or wav.getframerate() != RATE:
            raise ValueError(f"{path} is not 16 kHz mono 16-bit.")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).copy()


def rms(samples: npt.NDArray[np.generic]) -> float:
    """Root mean square of the samples (as float64, so int16 squares do not overflow)."""
    values = np.asarray(samples, dtype=np.float64)
    return float(np.sqrt(np.mean(values * values))) if values.size else 0.0


def with_noise(samples: Samples, *, snr_db: float = SNR_DB, seed: int) -> Samples:
    """``samples`` plus white Gaussian noise ``snr_db`` below them, seeded (repeatable).

    SNR = 20 log10(RMS(signal) / RMS(noise)) over the whole paragraph, pauses included (the
    plain RMS definition; a speech-level meter ignoring pauses would put the noise a little
    higher). The drawn noise is scaled to exactly the RMS the SNR asks for, then the sum is
    rounded to 16-bit (clipping at full scale, which these paragraphs never reach).
    """
    noise = np.random.default_rng(seed).standard_normal(samples.size)
    noise *= rms(samples) / (10 ** (snr_db / 20)) / rms(noise)
    mixed = np.rint(samples.astype(np.float64) + noise)
    return np.clip(mixed, -32768, 32767).astype(np.int16)


def snr(clean: Samples, noisy: Samples) -> float:
    """The signal-to-noise ratio in dB of ``noisy`` against ``clean`` (RMS-based)."""
    noise = noisy.astype(np.float64) - clean.astype(np.float64)
    return 20 * np.log10(rms(clean) / rms(noise))


def encode(blocks: Iterable[Samples], target: Path) -> Path:
    """Encode 16 kHz mono blocks as Ogg Opus at ``BITRATE`` with PyAV; written whole or not."""
    import av

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.stem}.{os.getpid()}.part{target.suffix}")
    with av.open(str(partial), "w", format="ogg") as container:
        stream = container.add_stream(CODEC, rate=RATE, layout="mono")
        stream.bit_rate = BITRATE
        pts = 0
        for block in blocks:
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = pts
            pts += block.size
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    partial.replace(target)
    return target


def _key(*parts: object) -> str:
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:16]


def condition_samples(paragraph: Paragraph, condition: str) -> Samples:
    """The paragraph's 16 kHz samples in ``condition`` (clean, or noisy seeded by its place)."""
    clean = wav_samples(spoken_wav(paragraph.spoken))
    if condition == "clean":
        return clean
    if condition == "noisy_20db":
        return with_noise(clean, seed=PARAGRAPHS.index(paragraph) + 1)
    raise ValueError(f"Unknown condition {condition!r}.")


def paragraph_file(paragraph: Paragraph, condition: str) -> Path:
    """The paragraph spoken in ``condition``, as an Ogg Opus file (cached)."""
    key = _key(VOICE, SOX_REPEATABLE, paragraph.spoken, condition, SNR_DB, CODEC, BITRATE)
    target = CACHE / f"{paragraph.key}-{condition}-{key}.ogg"
    if not target.exists():
        encode([condition_samples(paragraph, condition)], target)
    return target


def long_plan(minutes: float) -> list[Paragraph]:
    """The paragraphs of a ``minutes``-long recording: all of them, in order, again and again."""
    durations = [wav_duration(spoken_wav(p.spoken)) + PAUSE_S for p in PARAGRAPHS]
    plan: list[Paragraph] = []
    total = 0.0
    while total < minutes * 60:
        index = len(plan) % len(PARAGRAPHS)
        plan.append(PARAGRAPHS[index])
        total += durations[index]
    return plan


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def long_recording(minutes: float) -> tuple[Path, str]:
    """A synthetic ``minutes``-long recording (clean paragraphs with pauses), encoded once and
    cached; returns the file and what is said in it."""
    plan = long_plan(minutes)
    said = " ".join(p.spoken for p in plan)
    key = _key(VOICE, SOX_REPEATABLE, said, PAUSE_S, CODEC, BITRATE)
    target = CACHE / f"long-{minutes:g}min-{key}.ogg"
    if not target.exists():
        encode(_long_blocks(plan), target)
    return target, said


def _long_blocks(plan: list[Paragraph]) -> Iterator[Samples]:
    pause = np.zeros(int(PAUSE_S * RATE), dtype=np.int16)
    for paragraph in plan:
        yield wav_samples(spoken_wav(paragraph.spoken))
        yield pause
