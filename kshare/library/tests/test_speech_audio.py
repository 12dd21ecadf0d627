"""Decoding recordings' audio with PyAV: real files of every accepted format, in tmp_path."""

from __future__ import annotations

import itertools
import math
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from kshare.library.speech import audio
from kshare.library.speech.types import AudioChunk, SpeechError
from kshare.library.tests import media_samples as media
from kshare.library.tests.speech_samples import PARAGRAPH, spoken_wav, wav_samples

RATE = 16_000
PER_MS = RATE // 1000

# Codec names FFmpeg reports, and how far a format's length may stray: one codec frame for the
# lossy ones (encoders pad to whole frames, Matroska rounds times to milliseconds), none for PCM.
CODECS = {
    "wav": "pcm_s16le",
    "flac": "flac",
    "mp3": "mp3float",
    "ogg": "opus",
    "ogg_vorbis": "vorbis",
    "m4a": "aac",
    "webm_audio": "opus",
    "mka": "flac",
    "mp4": "aac",
    "mov": "aac",
    "3gp": "aac",
    "webm": "opus",
    "mkv": "mp3float",
    "ogv": "opus",
}
FRAME_MS = {"wav": 1, "flac": 1, "mka": 1}
LOSSY_FRAME_MS = 30  # MP3 1152 samples at 44.1 kHz = 26 ms, AAC 23 ms, Opus 20 ms


def chunks_of(path: Path, **options: int) -> list[AudioChunk]:
    return list(audio.iter_chunks(path, **options))


def straight(path: Path) -> npt.NDArray[np.int16]:
    """The whole audio read in one go (short test files only)."""
    chunk = audio.read_chunk(path, start_ms=0, max_ms=10 * 60_000)
    assert chunk.last
    return chunk.samples


def tone_gap_tone(rate: int) -> npt.NDArray[np.int16]:
    """4 s of tone, 1 s of silence (4.0 to 5.0 s), 3 s of another tone."""
    return np.concatenate(
        [media.tone(4.0, 440, rate), media.silence(1.0, rate), media.tone(3.0, 660, rate)]
    )


@pytest.fixture(scope="module")
def speech() -> Path:
    return spoken_wav(PARAGRAPH)


def test_the_test_covers_every_format_the_helper_writes() -> None:
    assert sorted(CODECS) == sorted(media.FORMATS)


@pytest.mark.parametrize("fmt", sorted(media.FORMATS))
def test_every_accepted_format_decodes_to_its_length(tmp_path: Path, fmt: str) -> None:
    if not media.available(fmt):
        pytest.skip(f"The bundled FFmpeg cannot write {fmt}.")
    samples = np.concatenate([media.tone(2.0, 440, 44_100), media.silence(1.0, 44_100)])
    path = media.encode_audio(
        samples, 44_100, tmp_path / f"a.{media.FORMATS[fmt].extension}", fmt=fmt
    )
    tolerance = FRAME_MS.get(fmt, LOSSY_FRAME_MS)

    info = audio.probe(path)
    chunk = audio.read_chunk(path, start_ms=0)

    assert info.codec == CODECS[fmt]
    assert abs(info.duration_ms - 3000) <= tolerance
    assert chunk.last is True
    assert (chunk.start_ms, chunk.samples.dtype) == (0, np.dtype(np.int16))
    assert abs(len(chunk.samples) - 3 * RATE) <= tolerance * PER_MS
    assert abs(chunk.end_ms - 3000) <= tolerance


def test_stereo_44k1_becomes_16k_mono_of_the_same_length(tmp_path: Path) -> None:
    left = media.tone(2.0, 440, 44_100)
    path = media.encode_audio(media.stereo(left, left), 44_100, tmp_path / "stereo.wav")

    info = audio.probe(path)
    samples = audio.read_chunk(path, start_ms=0).samples

    assert (info.sample_rate, info.channels, info.duration_ms) == (44_100, 2, 2000)
    assert (samples.ndim, len(samples)) == (1, 2 * RATE)
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    assert round(int(np.argmax(spectrum)) * RATE / len(samples)) == 440


def test_other_recogniser_rates(tmp_path: Path) -> None:
    path = media.encode_audio(media.tone(3.0, 440, 44_100), 44_100, tmp_path / "a.flac", fmt="flac")
    for rate in (8_000, 22_050):
        chunks = chunks_of(path, max_ms=1_000, cut_window_ms=300, sample_rate=rate)
        assert sum(len(chunk.samples) for chunk in chunks) == 3 * rate


@pytest.mark.parametrize("max_ms", [2_000, 7_000, 30_000])
def test_chunks_tile_spoken_audio_exactly(speech: Path, max_ms: int) -> None:
    whole = wav_samples(speech)
    cut_window_ms = min(5_000, max_ms // 2)

    chunks = chunks_of(speech, max_ms=max_ms, cut_window_ms=cut_window_ms)

    assert [chunk.last for chunk in chunks] == [False] * (len(chunks) - 1) + [True]
    assert chunks[0].start_ms == 0
    for before, after in itertools.pairwise(chunks):
        assert after.start_ms == before.end_ms
        assert max_ms - cut_window_ms <= before.end_ms - before.start_ms <= max_ms
        assert len(before.samples) == (before.end_ms - before.start_ms) * PER_MS
    # A 16 kHz mono WAV needs no resampling: the chunks put together are the file, sample
    # for sample.
    assert np.array_equal(np.concatenate([chunk.samples for chunk in chunks]), whole)
    assert chunks[-1].end_ms == math.ceil(len(whole) / PER_MS)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "m4a", "ogg", "webm", "mkv"])
def test_chunks_add_up_and_resuming_at_end_ms_reads_the_same_chunks(
    speech: Path, tmp_path: Path, fmt: str
) -> None:
    # The paragraph's first 12 s, in 3 s chunks: five or so chunks, quick to encode and read.
    spoken = wav_samples(speech)[: 12 * RATE]
    path = media.encode_audio(spoken, RATE, tmp_path / f"s.{media.FORMATS[fmt].extension}", fmt=fmt)
    whole = straight(path)

    straight_on = chunks_of(path, max_ms=3_000, cut_window_ms=1_500)
    # A worker that stored the first two chunks and died starts again from the second's end.
    resumed = chunks_of(path, start_ms=straight_on[1].end_ms, max_ms=3_000, cut_window_ms=1_500)

    assert len(straight_on) >= 4
    for before, after in itertools.pairwise(straight_on):
        assert after.start_ms == before.end_ms
        assert len(before.samples) == (before.end_ms - before.start_ms) * PER_MS
    # Matroska keeps times in whole milliseconds: after a seek a chunk may sit up to 1 ms off.
    slack = PER_MS if fmt in ("webm", "mkv") else 0
    total = sum(len(chunk.samples) for chunk in straight_on)
    assert abs(total - len(whole)) <= slack * len(straight_on)
    for expected, got in zip(straight_on[2:], resumed, strict=True):
        assert (got.start_ms, got.end_ms, got.last) == (
            expected.start_ms,
            expected.end_ms,
            expected.last,
        )
        assert np.array_equal(got.samples, expected.samples)
    # And what it reads is the audio at that place, not some other stretch of it.
    assert abs(offset_in(whole.astype(np.float64), resumed[0])) <= slack


@pytest.mark.parametrize(
    ("fmt", "rate"), [("wav", 16_000), ("wav", 44_100), ("mp3", 44_100), ("m4a", 48_000)]
)
def test_the_cut_lands_in_the_middle_of_a_silence(tmp_path: Path, fmt: str, rate: int) -> None:
    path = media.encode_audio(tone_gap_tone(rate), rate, tmp_path / f"g.{fmt}", fmt=fmt)

    first, second = chunks_of(path, max_ms=6_000, cut_window_ms=3_000)

    if fmt == "wav":
        assert first.end_ms == 4_500  # digital silence: the middle of the gap
    else:
        assert 4_100 <= first.end_ms <= 4_900
    assert (second.start_ms, second.last) == (first.end_ms, True)


def test_without_a_pause_the_cut_falls_at_the_quietest_moment(tmp_path: Path) -> None:
    loud = media.noise(10.0, RATE, amplitude=0.5)
    loud[7_300 * PER_MS : 7_400 * PER_MS] //= 10  # a softer tenth of a second, 20 dB down
    path = media.encode_audio(loud, RATE, tmp_path / "noise.wav")

    first = audio.read_chunk(path, start_ms=0, max_ms=9_000, cut_window_ms=5_000)

    assert first.end_ms == 7_350


def test_spoken_audio_is_cut_between_words(speech: Path) -> None:
    chunks = chunks_of(speech, max_ms=5_000, cut_window_ms=2_500)
    whole = wav_samples(speech)

    for chunk in chunks[:-1]:
        cut = chunk.end_ms * PER_MS
        around = whole[cut - 50 * PER_MS : cut + 50 * PER_MS]
        assert audio.loudness_dbfs(around) < audio.loudness_dbfs(chunk.samples) - 20


def offset_in(whole: npt.NDArray[np.int16], chunk: AudioChunk) -> int:
    """How many samples before (negative) or after its place ``chunk`` matches ``whole`` best."""
    at = chunk.start_ms * PER_MS
    part = chunk.samples[: 2 * RATE].astype(np.float64)
    lags = range(-10 * PER_MS, 10 * PER_MS + 1)
    scores = [float(np.dot(part, whole[at + lag : at + lag + len(part)])) for lag in lags]
    return lags[int(np.argmax(scores))]


def test_start_at_or_after_the_end_gives_an_empty_last_chunk(tmp_path: Path) -> None:
    path = media.encode_audio(media.tone(1.0), RATE, tmp_path / "a.wav")

    chunk = audio.read_chunk(path, start_ms=5_000)

    assert (chunk.start_ms, chunk.end_ms, len(chunk.samples), chunk.last) == (5_000, 5_000, 0, True)


def test_a_live_webm_without_a_declared_length_is_measured_by_its_packets(tmp_path: Path) -> None:
    path = media.encode_audio(
        tone_gap_tone(48_000), 48_000, tmp_path / "live.webm", fmt="webm", live=True
    )

    info = audio.probe(path)
    chunks = chunks_of(path, max_ms=6_000, cut_window_ms=3_000)

    assert abs(info.duration_ms - 8_000) <= LOSSY_FRAME_MS
    assert 4_100 <= chunks[0].end_ms <= 4_900
    assert abs(sum(len(chunk.samples) for chunk in chunks) - 8 * RATE) <= PER_MS


@pytest.mark.parametrize("fmt", ["mkv", "webm", "mp4"])
def test_a_video_whose_sound_stops_early_is_as_long_as_its_sound(tmp_path: Path, fmt: str) -> None:
    # Matroska declares the whole file's length (the picture's 6 s), not the sound's 2 s.
    path = media.encode_blocks(
        [media.tone(2.0, 440, 48_000)], 48_000, tmp_path / f"v.{fmt}", fmt=fmt, seconds=6.0
    )

    info = audio.probe(path)
    chunks = chunks_of(path)

    assert abs(info.duration_ms - 2_000) <= LOSSY_FRAME_MS + 20  # mkv: MP3 frames of 24 ms
    assert [(chunk.start_ms, chunk.end_ms, chunk.last) for chunk in chunks] == [(0, 2_000, True)]


def test_a_stream_that_changes_rate_and_channels_midway_reads_through(tmp_path: Path) -> None:
    mono = media.tone(2.0, 440, 44_100)
    stereo = media.stereo(media.tone(2.0, 660, 22_050), media.tone(2.0, 660, 22_050))
    path = media.joined_adts(tmp_path / "joined.aac", [(mono, 44_100), (stereo, 22_050)])

    chunks = chunks_of(path, max_ms=3_000, cut_window_ms=1_000)
    samples = np.concatenate([chunk.samples for chunk in chunks])

    # Each part is padded to whole AAC frames (1024 samples and the encoder's priming).
    assert abs(len(samples) - 4 * RATE) <= 3 * 1024 * RATE // 22_050
    first, second = samples[RATE // 2 : RATE], samples[3 * RATE : 3 * RATE + RATE // 2]
    for part, freq in ((first, 440), (second, 660)):
        spectrum = np.abs(np.fft.rfft(part.astype(np.float64)))
        assert round(int(np.argmax(spectrum)) * RATE / len(part)) == freq


def expect_error(code: str, path: Path) -> Iterator[SpeechError]:
    for read in (audio.probe, lambda p: chunks_of(p)):
        with pytest.raises(SpeechError) as caught:
            read(path)
        assert caught.value.code == code
        yield caught.value


def test_a_video_without_sound_has_no_audio(tmp_path: Path) -> None:
    for fmt in ("mp4", "webm"):
        path = media.video_without_audio(tmp_path / f"screen.{fmt}", 1.0, fmt=fmt)
        for error in expect_error("no_audio", path):
            assert error.message == (
                "The recording has no audio track: there is nothing to transcribe."
            )


def test_random_bytes_are_corrupt(tmp_path: Path) -> None:
    for error in expect_error("corrupt", media.random_bytes(tmp_path / "noise.mp4")):
        assert error.message == (
            "The recording's file is damaged or incomplete: its audio cannot be read."
        )
    empty = tmp_path / "empty.webm"
    empty.write_bytes(b"")
    assert [error.code for error in expect_error("corrupt", empty)] == ["corrupt", "corrupt"]


@pytest.mark.parametrize("fmt", ["m4a", "mp4", "mp3", "flac", "webm", "mkv"])
def test_a_truncated_upload_is_corrupt(tmp_path: Path, fmt: str) -> None:
    extension = media.FORMATS[fmt].extension
    whole = media.encode_audio(
        media.tone(6.0, 440, 44_100), 44_100, tmp_path / f"a.{extension}", fmt=fmt
    )
    cut = media.corrupt_copy(whole, tmp_path / f"cut.{extension}")

    with pytest.raises(SpeechError) as caught:
        audio.probe(cut)

    assert caught.value.code == "corrupt"


@pytest.mark.parametrize("fmt", ["m4a", "mp3", "mp4"])
def test_damage_in_the_middle_is_corrupt_when_read(tmp_path: Path, fmt: str) -> None:
    whole = media.encode_audio(media.tone(6.0, 440, 44_100), 44_100, tmp_path / f"a.{fmt}", fmt=fmt)
    damaged = media.corrupt_copy(whole, tmp_path / f"d.{fmt}", how="garble")

    with pytest.raises(SpeechError) as caught:
        chunks_of(damaged, max_ms=2_000, cut_window_ms=500)

    assert caught.value.code == "corrupt"


def test_a_codec_ffmpeg_cannot_decode_is_unsupported(tmp_path: Path) -> None:
    path = media.unsupported_codec_wav(tmp_path / "odd.wav")
    for error in expect_error("unsupported", path):
        assert error.message == (
            "The recording's audio is in a format this server cannot decode, so it cannot be "
            "transcribed."
        )


def test_a_missing_file_is_not_blamed_on_the_recording(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        audio.probe(tmp_path / "gone.mp4")


def test_loudness_and_silence() -> None:
    full = (np.sin(2 * np.pi * np.arange(RATE) / 16) * 32767).astype(np.int16)

    assert round(audio.loudness_dbfs(full), 2) == -3.01
    assert audio.loudness_dbfs(media.silence(1.0)) == -math.inf
    assert audio.loudness_dbfs(np.zeros(0, dtype=np.int16)) == -math.inf
    assert audio.is_silent(media.silence(1.0)) is True
    assert audio.is_silent(media.tone(1.0, amplitude=10 ** (-60 / 20))) is True
    assert audio.is_silent(media.tone(1.0, amplitude=10 ** (-40 / 20))) is False
    assert audio.is_silent(media.tone(1.0, amplitude=10 ** (-40 / 20)), threshold_dbfs=-30) is True


def test_spoken_audio_is_not_silent_and_a_silent_recording_is(speech: Path, tmp_path: Path) -> None:
    quiet = media.encode_audio(media.silence(3.0, 44_100), 44_100, tmp_path / "q.m4a", fmt="m4a")

    assert audio.is_silent(audio.read_chunk(speech, start_ms=0).samples) is False
    assert audio.is_silent(audio.read_chunk(quiet, start_ms=0).samples) is True


def test_a_long_recording_needs_no_more_memory_than_one_chunk(tmp_path: Path) -> None:
    minutes, rate = 20, 8_000

    def blocks() -> Iterator[npt.NDArray[np.int16]]:
        talk, pause = media.noise(3.7, rate, amplitude=0.2), media.silence(0.3, rate)
        for _ in range(minutes * 15):  # 4 s each
            yield talk
            yield pause

    # FLAC in 2 s frames: quick to write and to read, and a frame is as big as PyAV gives.
    path = media.encode_blocks(
        blocks(), rate, tmp_path / "long.flac", fmt="flac", frame_size=16_384
    )
    chunk_bytes = 30 * RATE * 2
    lengths = []

    tracemalloc.start()
    try:
        for chunk in audio.iter_chunks(path, max_ms=30_000):
            lengths.append(len(chunk.samples))
            del chunk  # as the worker does: stored, then dropped
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sum(lengths) == minutes * 60 * RATE
    # Cut in the pause nearest the end, between 3.7 s and 4 s after a multiple of 4 s.
    assert {length // RATE for length in lengths[:-1]} == {27, 28}
    # One chunk's samples (960 kB), the cut search (its last 5 s squared in 32 bits, 320 kB),
    # one decoded frame (2 s, 64 kB at 16 kHz): 1.45 MB measured. Two chunks held at once would
    # be 1.9 MB or more; the whole recording at 16 kHz would be 38 MB.
    assert peak < 1.8 * chunk_bytes
