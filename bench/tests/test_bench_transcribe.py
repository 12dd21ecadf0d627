"""bench_transcribe's own parts: the noise's SNR, the paragraphs, the Ogg Opus files, the rows.

Nothing is timed and no recogniser runs; PyAV encodes and decodes for real.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_transcribe
import results
import transcribe_speech as speech


def _tone(seconds: float = 2.0) -> np.ndarray:
    """A 220 Hz tone with a silent half second in the middle (speech has pauses too)."""
    t = np.arange(int(seconds * speech.RATE)) / speech.RATE
    samples = 6000 * np.sin(2 * np.pi * 220 * t)
    middle = len(samples) // 2
    samples[middle - speech.RATE // 4 : middle + speech.RATE // 4] = 0
    return np.rint(samples).astype(np.int16)


def test_noise_is_20_db_below_the_signal_by_rms():
    clean = _tone()
    noisy = speech.with_noise(clean, seed=1)
    assert round(speech.snr(clean, noisy), 2) == 20.0
    assert round(speech.snr(clean, speech.with_noise(clean, snr_db=10.0, seed=1)), 2) == 10.0


def test_noise_is_the_same_for_a_seed_and_differs_between_seeds():
    clean = _tone()
    assert np.array_equal(speech.with_noise(clean, seed=4), speech.with_noise(clean, seed=4))
    assert not np.array_equal(speech.with_noise(clean, seed=4), speech.with_noise(clean, seed=5))


def _sentences(text: str) -> list[str]:
    return [s.strip().lower() for s in re.split(r"[.:;!?]", text) if len(s.split()) >= 4]


def test_the_adaptation_text_never_repeats_a_spoken_sentence():
    assert len(speech.PARAGRAPHS) == 8
    for paragraph in speech.PARAGRAPHS:
        assert 60 <= len(paragraph.spoken.split()) <= 120, paragraph.key
        session = paragraph.session_text.lower()
        repeated = [s for s in _sentences(paragraph.spoken) if s in session]
        assert repeated == [], paragraph.key


def test_encode_writes_ogg_opus_of_the_samples_length(tmp_path):
    target = speech.encode([_tone(1.0), _tone(1.0)], tmp_path / "tone.ogg")
    with av.open(str(target)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, container.format.name) == ("opus", "ogg")
        decoded = sum(frame.samples for frame in container.decode(stream)) / stream.rate
    # Opus decodes at 48 kHz; the encoder's padding is at most one 20 ms frame plus its delay.
    assert abs(decoded - 2.0) < 0.03
    assert list(tmp_path.iterdir()) == [target]  # no partial file left behind


def test_long_plan_repeats_the_paragraphs_until_the_length():
    if speech.festival_missing():
        pytest.skip(speech.festival_missing())
    lengths = [speech.wav_duration(speech.spoken_wav(p.spoken)) for p in speech.PARAGRAPHS]
    plan = speech.long_plan(10)
    total = sum(lengths[speech.PARAGRAPHS.index(p)] + speech.PAUSE_S for p in plan)
    assert plan[: len(speech.PARAGRAPHS)] == list(speech.PARAGRAPHS)
    assert 600 <= total < 600 + max(lengths) + speech.PAUSE_S


def _result(adapted: bool, condition: str) -> bench_transcribe.ChildResult:
    config = bench_transcribe.Config("paragraphs", "pocketsphinx", adapted, condition)
    measured = (
        bench_transcribe.Measured(
            "recommender",
            "Recommender systems work offline.",
            "recommend assistance work of flying",
            audio_s=20.0,
            wall_s=4.0,
            cpu_s=3.0,
            load_s=0.5,
            calibrate_s=1.5,
        ),
        bench_transcribe.Measured(
            "hosting", "Hosting a session.", "hosting a session", 10.0, 2.0, 1.5, 0.0
        ),
    )
    return bench_transcribe.ChildResult(config, "pocketsphinx 5.1.1", measured, 212.34)


def test_rows_carry_the_issue_fields_and_goals():
    recorder = results.Recorder(
        database="sqlite", commit="abc1234", date="2026-12-07T02:00:00+00:00"
    )
    for metric, value, unit, extra in bench_transcribe.rows_of(_result(False, "clean")):
        recorder.record("paragraphs", metric, value, unit, database="n/a", loadavg=1.5, **extra)
    wer, rtf, peak = (row.as_dict() for row in recorder.rows)
    common = {
        "name": "paragraphs",
        "database": "n/a",
        "commit": "abc1234",
        "date": "2026-12-07T02:00:00+00:00",
        "loadavg": 1.5,
        "recogniser": "pocketsphinx",
        "recogniser_name": "pocketsphinx 5.1.1",
        "condition": "clean",
        "adapted": False,
        "audio_format": "ogg/opus 32 kbit/s",
    }
    # "recommender systems work offline" → "recommend assistance work of flying": 3 S and 1 I
    # on 4 words, then "hosting a session" right: 4 errors on 7 words.
    assert wer == {
        **common,
        "metric": "wer",
        "value": 0.5714,
        "unit": "ratio",
        "substitutions": 3,
        "deletions": 0,
        "insertions": 1,
        "words": 7,
        "errors": 4,
        "per_paragraph": {"recommender": 1.0, "hosting": 0.0},
        "goal": 0.25,
    }
    assert rtf == {
        **common,
        "metric": "realtime_factor",
        "value": 0.2,
        "unit": "ratio",
        "cpu_per_audio_s": 0.15,
        "audio_s": 30.0,
        "wall_s": 6.0,
        "load_s": 0.5,
        "calibrate_s": 1.5,
        "files": 2,
        "goal": 0.5,
    }
    assert peak == {**common, "metric": "peak_rss_mb", "value": 212.3, "unit": "MB", "goal": 1024.0}


def test_wer_goals_follow_the_issue():
    goals = [
        bench_transcribe.wer_goal(bench_transcribe.Config("paragraphs", backend, adapted, cond))
        for backend, adapted, cond in [
            ("pocketsphinx", False, "clean"),
            ("pocketsphinx", True, "clean"),
            ("pocketsphinx", True, "noisy_20db"),
            ("whisper", False, "clean"),
        ]
    ]
    assert goals == [0.25, 0.12, 0.40, None]


def test_table_shows_each_configuration_with_its_goals():
    rows = []
    for adapted in (False, True):
        for metric, value, unit, extra in bench_transcribe.rows_of(_result(adapted, "clean")):
            rows.append(
                {
                    "name": "paragraphs",
                    "metric": metric,
                    "value": value,
                    "unit": unit,
                    "loadavg": 2.5,
                    **extra,
                }
            )
    lines = bench_transcribe.format_table(rows).splitlines()
    assert len(lines) == 4
    assert lines[2].split() == [
        "paragraphs", "pocketsphinx", "generic", "clean", "0.5", "0.571", "(≤", "0.25)",
        "0.200", "(≤", "0.5)", "0.150", "212", "(≤", "1024)", "2.5",
    ]  # fmt: skip
    assert lines[3].split()[2:8] == ["adapted", "clean", "0.5", "0.571", "(≤", "0.12)"]


def test_misrecognised_names_what_was_said_and_heard():
    assert bench_transcribe.misrecognised(
        "Recommender systems work offline.", "recommend assistance work of flying"
    ) == ["recommender systems → recommend assistance", "offline → of flying"]
