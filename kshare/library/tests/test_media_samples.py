"""The test media helper writes real files FFmpeg reads back as written."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from kshare.library.tests import media_samples


@pytest.mark.parametrize("fmt", sorted(media_samples.FORMATS))
def test_each_format_reads_back_with_its_streams_and_length(tmp_path: Path, fmt: str) -> None:
    spec = media_samples.FORMATS[fmt]
    samples = np.concatenate(
        [media_samples.tone(1.0, 440, 44_100), media_samples.silence(0.5, 44_100)]
    )
    path = media_samples.encode_audio(samples, 44_100, tmp_path / f"a.{spec.extension}", fmt=fmt)
    with av.open(str(path)) as container:
        kinds = sorted(stream.type for stream in container.streams)
        audio = container.streams.audio[0]
        decoded = sum(frame.samples for frame in container.decode(audio))
        rate = audio.rate
    assert kinds == (["audio", "video"] if spec.video_codec else ["audio"])
    # Encoders pad to whole frames (Vorbis: 64 samples at most); the decoder trims priming.
    assert abs(decoded / rate - 1.5) <= 0.025


def test_video_without_audio_has_only_a_picture(tmp_path: Path) -> None:
    path = media_samples.video_without_audio(tmp_path / "screen.mp4", 1.0)
    with av.open(str(path)) as container:
        assert [stream.type for stream in container.streams] == ["video"]


def test_unsupported_codec_wav_has_an_audio_stream_without_decoder(tmp_path: Path) -> None:
    path = media_samples.unsupported_codec_wav(tmp_path / "odd.wav")
    with av.open(str(path)) as container:
        assert len(container.streams.audio) == 1
        assert container.streams.audio[0].codec_context is None


def test_corrupt_copy_truncates_to_two_fifths(tmp_path: Path) -> None:
    path = media_samples.encode_audio(media_samples.tone(1.0), 16_000, tmp_path / "a.wav")
    broken = media_samples.corrupt_copy(path, tmp_path / "b.wav")
    assert broken.stat().st_size == path.stat().st_size * 2 // 5
