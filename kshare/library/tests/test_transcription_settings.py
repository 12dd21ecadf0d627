"""The transcription settings: a wrong value stops kshare with one sentence; whisper without a
usable model directory is a system check error naming the directory."""

from __future__ import annotations

import pytest
from django.test import override_settings

from kshare.library.checks import check_transcribe_model
from kshare.web.tests.test_cli import kshare


@pytest.fixture
def home(tmp_path):
    return tmp_path


@pytest.mark.parametrize(
    ("variable", "value", "sentence"),
    [
        (
            "KSHARE_TRANSCRIBE",
            "loud",
            "KSHARE_TRANSCRIBE must be one of pocketsphinx, whisper or off; got 'loud'.",
        ),
        (
            "KSHARE_TRANSCRIBE_MAX_MINUTES",
            "0",
            "KSHARE_TRANSCRIBE_MAX_MINUTES must be at least 1; got 0.",
        ),
        (
            "KSHARE_TRANSCRIBE_CHUNK_SECONDS",
            "half",
            "KSHARE_TRANSCRIBE_CHUNK_SECONDS must be a whole number; got 'half'.",
        ),
        (
            "KSHARE_TRANSCRIBE_STEP_SECONDS",
            "-5",
            "KSHARE_TRANSCRIBE_STEP_SECONDS must be at least 1; got -5.",
        ),
    ],
)
def test_a_wrong_value_stops_kshare_with_one_sentence(home, variable, value, sentence):
    result = kshare(home, "check", **{variable: value})
    assert (result.returncode, result.stderr) == (2, f"kshare: {sentence}\n")


@override_settings(KSHARE_TRANSCRIBE="whisper", KSHARE_TRANSCRIBE_MODEL_DIR="/nowhere/tiny.en")
def test_whisper_with_a_missing_model_directory_is_an_error_naming_it():
    [error] = check_transcribe_model()
    assert (error.id, error.msg) == (
        "kshare.E060",
        "KSHARE_TRANSCRIBE is whisper, so no recording can be transcribed: The whisper model "
        "directory /nowhere/tiny.en does not exist.",
    )


@override_settings(KSHARE_TRANSCRIBE="whisper", KSHARE_TRANSCRIBE_MODEL_DIR="")
def test_whisper_without_a_model_directory_is_an_error():
    [error] = check_transcribe_model()
    assert error.id == "kshare.E060"
    assert error.msg.startswith(
        "KSHARE_TRANSCRIBE is whisper, so no recording can be transcribed: The whisper recogniser "
        "needs a model directory: set KSHARE_TRANSCRIBE_MODEL_DIR"
    )


@pytest.mark.parametrize("backend", ["pocketsphinx", "off"])
def test_other_recognisers_need_no_model_directory(backend):
    with override_settings(KSHARE_TRANSCRIBE=backend, KSHARE_TRANSCRIBE_MODEL_DIR=""):
        assert check_transcribe_model() == []
