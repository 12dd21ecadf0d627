"""Speech to text for recordings: pure modules, no Django in them.

- ``types``: the shared vocabulary (``Word``, ``AudioInfo``, ``AudioChunk``, ``SpeechError``,
  the ``Recogniser`` protocol).
- ``audio``: decoding any accepted recording's audio with PyAV, resampled to what a recogniser
  needs, one bounded chunk at a time (cut at a quiet moment, so no word is cut in two).
- ``recognisers``: ``recogniser_for`` picks a backend; pocketsphinx works out of the box with
  the English model its wheel carries (optionally adapted to the session's own words); whisper
  (``whisper``) loads a model directory the administrator installed.
- ``vocabulary``: the terms a session's own text is about, for adapting a recogniser to them.
- ``denoise``: steady background noise subtracted before recognition.
- ``cues``: recognised words → transcript cues (sentences of a few seconds, speaker turns).
- ``chapters``: topical segments of a transcript with key-word titles (TextTiling-style).
- ``wer``: word error rate, for the benchmark and the tests.

The Django side (the job row, the worker's steps, the pages) is ``kshare.library.transcription``.
"""
