"""Real media files the tests write with PyAV: audio in every accepted format, videos with and
without sound, broken copies and a codec FFmpeg cannot decode.

Samples are 16-bit integers, shape ``(n,)`` for mono or ``(n, channels)``; each encoder gets
them resampled to a rate and sample format it supports (Opus only takes 8/12/16/24/48 kHz).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Format:
    container: str  # FFmpeg muxer name
    audio_codec: str
    video_codec: str = ""  # "" for an audio-only format
    extension: str = ""
    options: tuple[tuple[str, str], ...] = ()  # encoder options


# Audio-only formats the library accepts (kshare/library/sniff.py), by short name.
AUDIO_FORMATS: dict[str, Format] = {
    "wav": Format("wav", "pcm_s16le", extension="wav"),
    "flac": Format("flac", "flac", extension="flac"),
    "mp3": Format("mp3", "libmp3lame", extension="mp3"),
    "ogg": Format("ogg", "libopus", extension="ogg"),
    # FFmpeg's own Vorbis encoder is "experimental": it must be asked for explicitly.
    "ogg_vorbis": Format("ogg", "vorbis", extension="ogg", options=(("strict", "-2"),)),
    "m4a": Format("ipod", "aac", extension="m4a"),
    "webm_audio": Format("webm", "libopus", extension="webm"),
    "mka": Format("matroska", "flac", extension="mka"),
}

# Video formats with a sound track: a tiny picture plus audio.
VIDEO_FORMATS: dict[str, Format] = {
    "mp4": Format("mp4", "aac", "mpeg4", extension="mp4"),
    "mov": Format("mov", "aac", "mpeg4", extension="mov"),
    "3gp": Format("3gp", "aac", "h263", extension="3gp"),
    "webm": Format("webm", "libopus", "libvpx", extension="webm"),
    "mkv": Format("matroska", "mp3", "mpeg4", extension="mkv"),
    "ogv": Format("ogg", "libopus", "libvpx", extension="ogv"),
}

FORMATS: dict[str, Format] = {**AUDIO_FORMATS, **VIDEO_FORMATS}

# Raw AAC (ADTS): not an upload type, but each frame carries its own rate and channels, so
# files joined end to end make one stream whose format changes midway.
ADTS = Format("adts", "aac", extension="aac")

VIDEO_SIZE = {"h263": (176, 144)}  # H.263 only knows a few picture sizes
VIDEO_RATE = 5  # frames per second: enough for a real video stream, cheap to encode


def available(fmt: str) -> bool:
    """Whether the bundled FFmpeg can write ``fmt`` (its encoders are a build choice)."""
    spec = FORMATS[fmt]
    codecs = [spec.audio_codec] + ([spec.video_codec] if spec.video_codec else [])
    if spec.container not in av.formats_available:
        return False
    return all(codec in av.codecs_available for codec in codecs)


def tone(
    seconds: float, freq: float = 440.0, rate: int = 16_000, *, amplitude: float = 0.5
) -> Samples:
    """A sine tone, mono."""
    t = np.arange(round(seconds * rate)) / rate
    return (np.sin(2 * np.pi * freq * t) * amplitude * 32767).astype(np.int16)


def silence(seconds: float, rate: int = 16_000) -> Samples:
    """Digital silence, mono."""
    return np.zeros(round(seconds * rate), dtype=np.int16)


def noise(seconds: float, rate: int = 16_000, *, amplitude: float = 0.3, seed: int = 0) -> Samples:
    """White noise, mono: loud everywhere, so no quiet moment stands out."""
    generator = np.random.default_rng(seed)
    values = generator.uniform(-amplitude, amplitude, round(seconds * rate)) * 32767
    return values.astype(np.int16)


def stereo(left: Samples, right: Samples) -> Samples:
    """Two mono signals of the same length as one ``(n, 2)`` stereo signal."""
    return np.stack([left, right], axis=1)


def _layout(channels: int) -> str:
    return {1: "mono", 2: "stereo"}[channels]


def _as_blocks(samples: Samples, rate: int) -> Iterable[Samples]:
    # One second at a time: PyAV frames of any size are fine, huge ones just waste memory.
    for offset in range(0, len(samples), rate):
        yield samples[offset : offset + rate]


def encode_audio(
    samples: Samples,
    rate: int,
    path: Path,
    *,
    fmt: str = "wav",
    bit_rate: int = 0,
    live: bool = False,
) -> Path:
    """Writes ``samples`` (at ``rate`` Hz) to ``path`` in format ``fmt`` (a key of ``FORMATS``);
    a video format gets a tiny picture as long as the sound. Returns ``path``.

    ``live`` (WebM/Matroska): written as a browser's MediaRecorder streams it, without the
    length in the header and without a seek index."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    return encode_blocks(
        _as_blocks(samples, rate),
        rate,
        path,
        fmt=fmt,
        channels=channels,
        bit_rate=bit_rate,
        seconds=len(samples) / rate,
        live=live,
    )


def encode_blocks(
    blocks: Iterable[Samples],
    rate: int,
    path: Path,
    *,
    fmt: str = "wav",
    channels: int = 1,
    bit_rate: int = 0,
    seconds: float = 0.0,
    live: bool = False,
    frame_size: int = 0,
) -> Path:
    """Like ``encode_audio`` for a stream of sample blocks (a long recording never held whole).
    ``seconds`` is the video's length for a video format; ``frame_size`` asks the encoder for
    frames of that many samples (FLAC takes up to 65535: few frames, quick to read)."""
    spec = ADTS if fmt == "adts" else FORMATS[fmt]
    if live and spec.container not in ("webm", "matroska"):
        raise ValueError(f"Only WebM and Matroska are written live, not {fmt}.")
    options = {"live": "1"} if live else {}
    with av.open(str(path), "w", format=spec.container, options=options) as container:
        codec = av.codec.Codec(spec.audio_codec, "w")
        rates = codec.audio_rates
        out_rate = rate if not rates or rate in rates else max(rates)
        names = [f.name for f in codec.audio_formats or ()]
        out_format = "s16" if "s16" in names else names[0]
        # FFmpeg's Vorbis encoder writes stereo only.
        out_layout = "stereo" if spec.audio_codec == "vorbis" else _layout(channels)
        audio = container.add_stream(spec.audio_codec, rate=out_rate, layout=out_layout)
        assert isinstance(audio, av.AudioStream)
        audio.codec_context.format = av.AudioFormat(out_format)
        if bit_rate:
            audio.codec_context.bit_rate = bit_rate
        options = dict(spec.options)
        if frame_size:
            options["frame_size"] = str(frame_size)
        audio.codec_context.options = options
        video = _add_video(container, spec) if spec.video_codec else None
        audio.codec_context.open()
        resampler = av.AudioResampler(
            format=out_format,
            layout=out_layout,
            rate=out_rate,
            frame_size=audio.codec_context.frame_size or 1024,
        )
        pts = 0
        for block in blocks:
            # Packed s16 wants one row of interleaved samples.
            data = np.ascontiguousarray(block).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(data, format="s16", layout=_layout(channels))
            frame.sample_rate = rate
            frame.pts = pts
            frame.time_base = Fraction(1, rate)
            pts += len(block)
            for out in resampler.resample(frame):
                container.mux(audio.encode(out))
        for out in resampler.resample(None):
            container.mux(audio.encode(out))
        container.mux(audio.encode(None))
        if video is not None:
            _write_video(container, video, seconds or pts / rate)
    return path


def _add_video(container: av.container.OutputContainer, spec: Format) -> av.VideoStream:
    stream = container.add_stream(spec.video_codec, rate=VIDEO_RATE)
    assert isinstance(stream, av.VideoStream)
    width, height = VIDEO_SIZE.get(spec.video_codec, (64, 48))
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    return stream


def _write_video(
    container: av.container.OutputContainer, stream: av.VideoStream, seconds: float
) -> None:
    picture = np.zeros((stream.height, stream.width, 3), dtype=np.uint8)
    for index in range(max(1, round(seconds * VIDEO_RATE))):
        picture[:, :, :] = (index * 37) % 256  # a changing picture, like a slide show
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts = index
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def video_without_audio(path: Path, seconds: float = 2.0, *, fmt: str = "mp4") -> Path:
    """A video file with a picture and no sound track (a silent screen recording)."""
    spec = FORMATS[fmt]
    with av.open(str(path), "w", format=spec.container) as container:
        stream = _add_video(container, spec)
        _write_video(container, stream, seconds)
    return path


def corrupt_copy(path: Path, target: Path, *, how: str = "truncate") -> Path:
    """A broken copy of ``path`` at ``target``.

    ``how``: "truncate" keeps the first 40 % (an upload cut short); "garble" overwrites the
    middle half with pseudo-random bytes (a damaged disk); "header" garbles the first 4 KiB
    except the very first bytes (a file that still looks like its type but cannot be opened).
    """
    data = bytearray(path.read_bytes())
    generator = np.random.default_rng(7)
    if how == "truncate":
        data = data[: len(data) * 2 // 5]
    elif how == "garble":
        start, end = len(data) // 4, len(data) * 3 // 4
        data[start:end] = generator.integers(0, 256, end - start, dtype=np.uint8).tobytes()
    elif how == "header":
        end = min(4096, len(data))
        data[12:end] = generator.integers(0, 256, end - 12, dtype=np.uint8).tobytes()
    else:
        raise ValueError(f"Unknown way to corrupt a file: {how!r}.")
    target.write_bytes(bytes(data))
    return target


def joined_adts(path: Path, parts: Iterable[tuple[Samples, int]]) -> Path:
    """Raw AAC files of ``(samples, rate)`` joined end to end: the stream's rate and channels
    change where one part ends (as when recordings are concatenated)."""
    data = b""
    for index, (samples, rate) in enumerate(parts):
        part = encode_audio(samples, rate, path.with_suffix(f".{index}.aac"), fmt="adts")
        data += part.read_bytes()
        part.unlink()
    path.write_bytes(data)
    return path


def random_bytes(path: Path, size: int = 64 * 1024) -> Path:
    """A file of pseudo-random bytes: no container at all."""
    path.write_bytes(np.random.default_rng(3).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


# A WAVE format tag no codec has (registered tags stop well below it); FFmpeg's WAV demuxer
# opens the file and reports an audio stream whose codec it does not know, so it has no decoder.
UNKNOWN_WAVE_TAG = 0x7A21


def unsupported_codec_wav(path: Path, seconds: float = 1.0, *, rate: int = 16_000) -> Path:
    """A well-formed WAV file whose audio is in a format FFmpeg cannot decode."""
    data = silence(seconds, rate).tobytes()
    channels, bits = 1, 16
    fmt_chunk = struct.pack(
        "<HHIIHH",
        UNKNOWN_WAVE_TAG,
        channels,
        rate,
        rate * channels * bits // 8,
        channels * bits // 8,
        bits,
    )
    riff = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt_chunk))
        + fmt_chunk
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    return path
