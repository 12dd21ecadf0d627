import numpy as np

from kshare.library.speech.denoise import noise_floor_dbfs, reduce_noise
from kshare.library.tests.speech_sessions import with_noise

RATE = 16_000


def tone_with_pauses() -> np.ndarray:
    """One second of a 440 Hz tone at -12 dBFS, then a second of digital silence, twice."""
    t = np.arange(RATE) / RATE
    tone = (0.25 * 32768 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    return np.concatenate([tone, np.zeros(RATE, np.int16), tone, np.zeros(RATE, np.int16)])


def test_a_quiet_recording_passes_unchanged():
    clean = tone_with_pauses()
    assert noise_floor_dbfs(clean) == -120.0
    assert reduce_noise(clean) is clean


def test_steady_noise_in_the_pauses_is_mostly_removed_and_the_tone_kept():
    clean = tone_with_pauses()
    noisy = with_noise(clean, snr_db=20)
    # The tone and pauses average -18 dBFS; the noise is 20 dB below that.
    assert round(noise_floor_dbfs(noisy), 1) == -38.5
    cleaned = reduce_noise(noisy)
    pause = slice(RATE + 2000, 2 * RATE - 2000)
    noise_before = np.mean(noisy[pause].astype(np.float64) ** 2)
    noise_after = np.mean(cleaned[pause].astype(np.float64) ** 2)
    # Measured 7.4 dB quieter (the gain floor keeps 5 % of each bin, so not silence).
    assert 10 * np.log10(noise_before / noise_after) >= 6
    tone = slice(2000, RATE - 2000)
    kept = np.mean(cleaned[tone].astype(np.float64) ** 2) / np.mean(
        clean[tone].astype(np.float64) ** 2
    )
    assert 0.8 <= kept <= 1.2
    assert cleaned.dtype == np.int16
    assert cleaned.shape == noisy.shape


def test_a_chunk_shorter_than_the_analysis_window_passes_unchanged():
    short = with_noise(np.full(1000, 5000, np.int16), snr_db=0)
    assert reduce_noise(short) is short
