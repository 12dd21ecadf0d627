"""Runs ``WhisperRecogniser`` in the interpreter that has faster-whisper, for the whisper tests.

``make whisper`` installs faster-whisper into ``.cache/whisper/venv`` (not into ``.venv``), so
``test_speech_whisper`` starts this module there:
``python -m kshare.library.tests.whisper_runner REQUEST.json`` prints one JSON answer.

The request: ``{"attempts": [{"model_dir", "language", "threads", "vocabulary_text",
"jobs": [{"npy", "offset_ms"}]}]}``, each job a ``.npy`` file of int16 samples. The answer,
one entry per attempt:
``{"unavailable": sentence}`` or ``{"name", "language", "sample_rate", "multilingual",
"hotwords", "engine_version", "words": [[[start_ms, end_ms, text, speaker], …] per job]}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from kshare.library.speech.types import RecogniserUnavailable
from kshare.library.speech.whisper import WhisperRecogniser


def run(request: dict) -> list[dict]:
    answers: list[dict] = []
    for attempt in request["attempts"]:
        try:
            recogniser = WhisperRecogniser(
                model_dir=attempt["model_dir"],
                language=attempt["language"],
                threads=attempt["threads"],
                vocabulary_text=attempt.get("vocabulary_text", ""),
            )
        except RecogniserUnavailable as error:
            answers.append({"unavailable": str(error)})
            continue
        import faster_whisper  # present once the recogniser loaded

        words = []
        for job in attempt["jobs"]:
            samples = np.load(job["npy"])
            found = recogniser.transcribe(samples, offset_ms=job["offset_ms"])
            words.append([[w.start_ms, w.end_ms, w.text, w.speaker] for w in found])
        answers.append(
            {
                "name": recogniser.name,
                "language": recogniser.language,
                "sample_rate": recogniser.sample_rate,
                "multilingual": recogniser.multilingual,
                "hotwords": recogniser.hotwords,
                "engine_version": faster_whisper.__version__,
                "words": words,
            }
        )
    return answers


if __name__ == "__main__":
    print(json.dumps(run(json.loads(Path(sys.argv[1]).read_text()))))
