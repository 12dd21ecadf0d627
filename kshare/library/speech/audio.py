"""A recording's audio, decoded with PyAV, one bounded chunk at a time. Pure: no Django.

Times are milliseconds from the audio stream's first sample. A chunk is mono 16-bit samples at
the recogniser's rate; sample ``i`` of the stream (at that rate) belongs to the chunk whose
``[start_ms, end_ms)`` holds it, where a time ``t`` ms starts at sample ``t * rate // 1000``. So
chunks read one after another (each starting at the previous ``end_ms``) tile the audio with no
gap and no overlap, and a worker that resumes at the last stored chunk's ``end_ms`` reads exactly
the chunk it would have read going straight on: every chunk is read the same way, by seeking.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from fractions import Fraction

import av
import av.container
import numpy as np
import numpy.typing as npt

from kshare.library.speech.types import AudioChunk, AudioInfo, SpeechError, gettext_noop

Samples = npt.NDArray[np.int16]

# The cut goes in the middle of the quietest window this long near a chunk's end: a pause
# between words lasts longer than this, a word's quiet consonant does not.
QUIET_WINDOW_MS = 100
QUIET_STEP_MS = 10
# Decoding starts this long before a chunk so that codecs which build on earlier packets (MP3's
# bit reservoir, AAC's overlapping windows) and the resampler's filter have settled by its start.
PREROLL_MS = 500
# How many packets ``probe`` reads at most to see that the audio decodes at all.
PROBE_PACKETS = 200
# A file whose audio stops this much before its declared length was cut short.
TRUNCATION_MS = 2_000

NO_AUDIO = gettext_noop("The recording has no audio track: there is nothing to transcribe.")
CORRUPT = gettext_noop("The recording's file is damaged or incomplete: its audio cannot be read.")
UNSUPPORTED = gettext_noop(
    "The recording's audio is in a format this server cannot decode, so it cannot be transcribed."
)


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """The first audio stream's length and format.

    Raises ``SpeechError`` "corrupt" (the file cannot be opened or its audio does not decode),
    "no_audio" (no audio stream, or one without a single packet), "unsupported" (FFmpeg has no
    decoder for the audio's codec).
    """
    with _open(path) as container:
        stream = _audio_stream(container)
        codec = stream.codec_context
        declared, per_stream = _declared_duration(container, stream)
        first: int | None = None  # the first and last packet times, in the stream's time base
        end: int | None = None
        decoded = False
        try:
            for count, packet in enumerate(container.demux(stream)):
                if packet.pts is not None:
                    first = packet.pts if first is None else min(first, packet.pts)
                    end = max(end or packet.pts, packet.pts + (packet.duration or 0))
                if not decoded:
                    decoded = bool(packet.decode())
                    if not decoded and count >= PROBE_PACKETS:
                        raise SpeechError("corrupt", CORRUPT)
                # Without a declared length, every packet's time is needed (demuxed, not
                # decoded: a two-hour recording takes a moment, not its size in memory).
                if decoded and declared is not None:
                    break
            else:
                # End of stream: decoders that hold frames back give them up now.
                decoded = decoded or bool(codec.decode(None))
        except av.FFmpegError as error:
            raise _decoding_error(error) from error
        if not decoded:
            if end is None:
                raise SpeechError("no_audio", NO_AUDIO)
            raise SpeechError("corrupt", CORRUPT)
        if declared is None:
            duration = _ms(end - first, stream) if end is not None and first is not None else 0
        elif _reaches(container, stream, declared - TRUNCATION_MS):
            duration = declared
        elif per_stream or not _reaches(container, None, declared - TRUNCATION_MS):
            # An upload cut short keeps the header that tells the whole length (MP3's Xing
            # frame, WebM's Duration): the audio it promises is not there, nor anything else.
            raise SpeechError("corrupt", CORRUPT)
        else:
            # Matroska declares one length for the whole file, its longest stream's: here the
            # picture goes on after the sound stops, so the sound's own end is looked up.
            duration = _measured_duration(container, stream)
        return AudioInfo(
            duration_ms=duration,
            codec=codec.name,
            sample_rate=codec.sample_rate,
            channels=codec.channels,
        )


def read_chunk(
    path: str | os.PathLike[str],
    *,
    start_ms: int,
    max_ms: int = 30_000,
    sample_rate: int = 16_000,
    cut_window_ms: int = 5_000,
) -> AudioChunk:
    """The audio from ``start_ms``: at most ``max_ms`` of mono 16-bit samples at ``sample_rate``.

    Unless the stream ends within ``max_ms`` (then ``last`` is True), the chunk ends in the
    middle of its quietest ``QUIET_WINDOW_MS`` within its last ``cut_window_ms``, so no word is
    cut in two; ``end_ms`` is that cut, where the next chunk starts. Holds at most ``max_ms`` of
    samples plus one decoded frame, however long the recording. Raises ``SpeechError`` like
    ``probe``.
    """
    if start_ms < 0 or max_ms < 1 or sample_rate < 1:
        raise ValueError("start_ms must be >= 0, max_ms and sample_rate >= 1.")
    start = _sample_at(start_ms, sample_rate)
    wanted = _sample_at(start_ms + max_ms, sample_rate) - start
    # One sample more than wanted: whether it arrives tells whether the stream goes on.
    buffer = np.zeros(wanted + 1, dtype=np.int16)
    filled = 0
    with _open(path) as container:
        stream = _audio_stream(container)
        origin = _origin(container, stream)
        time_base = _time_base(stream)
        seek_ms = max(0, start_ms - PREROLL_MS)
        _seek(container, stream, origin + int(Fraction(seek_ms, 1000) / time_base))
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        position: int | None = None  # the stream's sample (at sample_rate) the next one is
        setup: tuple[str, str, int] | None = None
        for frame in _frames(container, stream):
            kind = (frame.format.name, frame.layout.name, frame.sample_rate)
            if setup is not None and kind != setup and position is not None:
                # The stream changes its rate or channels midway (files joined end to end):
                # PyAV's resampler takes one input format, so this one is emptied, a new begun.
                for out in resampler.resample(None):
                    position, filled = _keep(out, position, start, buffer, filled)
                resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
            setup = kind
            if position is None:
                # The first frame's time places the decoded samples; from there on they are
                # counted, because frame times in Matroska are rounded to whole milliseconds.
                position = (
                    round((frame.pts - origin) * time_base * sample_rate)
                    if frame.pts is not None
                    else 0
                )
            for out in resampler.resample(frame):
                position, filled = _keep(out, position, start, buffer, filled)
            if filled == len(buffer):
                break
        else:
            if position is not None:
                for out in resampler.resample(None):
                    position, filled = _keep(out, position, start, buffer, filled)
    if filled <= wanted:
        samples = buffer[:filled]
        end_ms = start_ms + math.ceil(filled * 1000 / sample_rate)
        return AudioChunk(start_ms=start_ms, end_ms=end_ms, samples=samples, last=True)
    cut_ms = _quiet_cut_ms(buffer[:wanted], sample_rate, max_ms, cut_window_ms)
    end_ms = start_ms + cut_ms
    samples = buffer[: _sample_at(end_ms, sample_rate) - start]
    return AudioChunk(start_ms=start_ms, end_ms=end_ms, samples=samples, last=False)


def iter_chunks(
    path: str | os.PathLike[str],
    *,
    start_ms: int = 0,
    max_ms: int = 30_000,
    sample_rate: int = 16_000,
    cut_window_ms: int = 5_000,
) -> Iterator[AudioChunk]:
    """The chunks from ``start_ms`` to the end, each read by ``read_chunk`` (so a resumed
    reading gives the very same chunks)."""
    while True:
        chunk = read_chunk(
            path,
            start_ms=start_ms,
            max_ms=max_ms,
            sample_rate=sample_rate,
            cut_window_ms=cut_window_ms,
        )
        start_ms, last = chunk.end_ms, chunk.last
        yield chunk
        # Let go of it before reading the next one: one chunk in memory at a time.
        del chunk
        if last:
            return


def loudness_dbfs(samples: npt.NDArray[np.int16]) -> float:
    """The RMS level of 16-bit ``samples`` in dB below full scale (-inf for digital silence)."""
    if len(samples) == 0:
        return -math.inf
    mean_square = float(np.mean(np.square(samples, dtype=np.float64)))
    if mean_square == 0.0:
        return -math.inf
    return 10 * math.log10(mean_square / 32768.0**2)


def is_silent(samples: npt.NDArray[np.int16], *, threshold_dbfs: float = -50.0) -> bool:
    """Whether ``samples`` stay below ``threshold_dbfs`` (RMS): nothing a recogniser could hear."""
    return loudness_dbfs(samples) < threshold_dbfs


def _sample_at(ms: int, sample_rate: int) -> int:
    return ms * sample_rate // 1000


def _time_base(stream: av.AudioStream) -> Fraction:
    time_base = stream.time_base
    if time_base is None:
        return Fraction(1, stream.codec_context.sample_rate)
    return Fraction(time_base.numerator, time_base.denominator)


def _open(path: str | os.PathLike[str]) -> av.container.InputContainer:
    try:
        return av.open(os.fspath(path), "r")
    except FileNotFoundError:
        raise  # a storage fault, not a fault of the recording
    except (av.FFmpegError, UnicodeDecodeError) as error:
        raise SpeechError("corrupt", CORRUPT) from error


def _audio_stream(container: av.container.InputContainer) -> av.AudioStream:
    if not container.streams.audio:
        container.close()
        raise SpeechError("no_audio", NO_AUDIO)
    stream = container.streams.audio[0]
    if stream.codec_context is None:  # FFmpeg knows no decoder for the codec
        container.close()
        raise SpeechError("unsupported", UNSUPPORTED)
    return stream


def _declared_duration(
    container: av.container.InputContainer, stream: av.AudioStream
) -> tuple[int | None, bool]:
    """The length the file declares in ms (None when it declares none: a live WebM), and
    whether it is the audio stream's own (False: the whole file's, e.g. Matroska's)."""
    if stream.duration is not None and stream.duration > 0:
        return _ms(stream.duration, stream), True
    if container.duration is not None and container.duration > 0:
        return round(container.duration / 1000), False  # microseconds
    return None, False


def _ms(duration: int, stream: av.AudioStream) -> int:
    return round(duration * _time_base(stream) * 1000)


def _origin(container: av.container.InputContainer, stream: av.AudioStream) -> int:
    """Time 0 of the recording, in the stream's time base: where its first decoded frame starts.

    Neither ``stream.start_time`` nor the first packet's time is it: for Opus in WebM FFmpeg
    reports 13 ms, or the first packet -7 ms, while the decoder's first frame starts at 0 (it
    drops the encoder's 6.5 ms of priming); for MP3 all three agree on 25 ms.
    """
    for frame in _frames(container, stream):
        if frame.pts is not None:
            return frame.pts
        break
    return stream.start_time or 0


def _reaches(
    container: av.container.InputContainer, stream: av.AudioStream | None, ms: int
) -> bool:
    """Whether ``stream`` (None: any stream) has a packet that ends at or after ``ms`` from the
    file's start; found by seeking near it, not by reading everything before."""
    if ms <= 0:
        return True
    origin = container.start_time or 0  # microseconds
    try:
        if stream is None:
            container.seek(max(origin, origin + (ms - 1000) * 1000), backward=True)
        else:
            start = stream.start_time or 0
            target = start + int(Fraction(ms - 1000, 1000) / _time_base(stream))
            container.seek(max(start, target), stream=stream, backward=True)
        for packet in container.demux(*(() if stream is None else (stream,))):
            if packet.pts is None or packet.time_base is None:
                continue
            packet_end = (packet.pts + (packet.duration or 0)) * packet.time_base
            if packet_end * 1_000_000 - origin >= ms * 1000:
                return True
    except av.FFmpegError:
        return False
    return False


def _measured_duration(container: av.container.InputContainer, stream: av.AudioStream) -> int:
    """The audio stream's length in ms, from its packets' times (demuxed, not decoded)."""
    first: int | None = None
    end: int | None = None
    _seek(container, stream, stream.start_time or 0)
    try:
        for packet in container.demux(stream):
            if packet.pts is not None:
                first = packet.pts if first is None else min(first, packet.pts)
                end = max(end or packet.pts, packet.pts + (packet.duration or 0))
    except av.FFmpegError as error:
        raise _decoding_error(error) from error
    return _ms(end - first, stream) if end is not None and first is not None else 0


def _seek(container: av.container.InputContainer, stream: av.AudioStream, offset: int) -> None:
    try:
        container.seek(offset, stream=stream, backward=True)
    except av.FFmpegError as error:
        raise SpeechError("corrupt", CORRUPT) from error


def _frames(
    container: av.container.InputContainer, stream: av.AudioStream
) -> Iterator[av.AudioFrame]:
    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                assert isinstance(frame, av.AudioFrame)
                yield frame
    except av.FFmpegError as error:
        raise _decoding_error(error) from error


def _decoding_error(error: av.FFmpegError) -> SpeechError:
    # ENOSYS ("Function not implemented") and "Patch welcome": a feature of the codec FFmpeg
    # has not implemented; anything else means damaged data.
    if isinstance(error, av.error.PatchWelcomeError) or error.errno == 38:
        return SpeechError("unsupported", UNSUPPORTED)
    return SpeechError("corrupt", CORRUPT)


def _keep(
    frame: av.AudioFrame, position: int, start: int, buffer: Samples, filled: int
) -> tuple[int, int]:
    """Copies the part of ``frame`` (whose first sample is stream sample ``position``) at or
    after ``start`` into ``buffer``; returns the next position and the new fill."""
    samples = frame.to_ndarray().reshape(-1)
    skip = max(0, start - position)
    if position > start + filled:
        # The first frame after a seek begins after the chunk's start (a gap in the stream):
        # the missing time is silence, so the chunk still starts where it says.
        gap = min(position - start - filled, len(buffer) - filled)
        filled += gap
    room = len(buffer) - filled
    taken = samples[skip : skip + room]
    buffer[filled : filled + len(taken)] = taken
    return position + len(samples), filled + len(taken)


def _quiet_cut_ms(samples: Samples, sample_rate: int, max_ms: int, cut_window_ms: int) -> int:
    """Where to end a full chunk, in ms from its start: the middle of its quietest window."""
    step = _sample_at(QUIET_STEP_MS, sample_rate)
    steps_per_window = QUIET_WINDOW_MS // QUIET_STEP_MS
    blocks = min(len(samples), _sample_at(cut_window_ms, sample_rate)) // step if step else 0
    if blocks < steps_per_window:
        return max_ms
    # Energy per 10 ms block, in integers (a 16-bit sample squared fits in 32 bits): exact, so
    # equally quiet windows tie exactly, and small (the last 5 s in 32-bit, not float64 copies).
    tail = samples[len(samples) - blocks * step :]
    energy = np.square(tail, dtype=np.int32).reshape(blocks, step).sum(axis=1, dtype=np.int64)
    running = np.concatenate(([0], np.cumsum(energy)))
    windows = running[steps_per_window:] - running[:-steps_per_window]
    best = int(np.argmin(windows))
    # A long pause gives many equally quiet windows: cut in the middle of their run.
    last = best
    while last + 1 < len(windows) and windows[last + 1] == windows[best]:
        last += 1
    middle = (best + last) * step // 2 + steps_per_window * step // 2 + len(samples) - len(tail)
    return max(1, min(max_ms, middle * 1000 // sample_rate))
