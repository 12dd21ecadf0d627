"""Automatic transcripts (issue 19): word error rate, realtime factor and peak memory.

The speech is made here (``transcribe_speech``): eight paragraphs about kshare's own topics
(sessions, recommender, feedback, transcripts, offline catch-up, ideas, rhythm, hosting) spoken by
Festival's HTS voice (``make bench`` installs it with ``make festival``), resampled by sox to
16 kHz; clean, and with white noise at 20 dB SNR (RMS-based, seeded); each encoded as Ogg Opus
(32 kbit/s) with PyAV. Every file goes through the product's chunked path,
``kshare.library.speech.audio.read_chunk`` chunk by chunk and the recogniser's ``transcribe``, so
decoding and resampling count in the time.

Recognisers (``recogniser_for``), each configuration and condition in a child process of its own
(its peak resident memory is the kernel's ``ru_maxrss`` for that child, from ``wait4``):
pocketsphinx generic (the wheel's model), pocketsphinx adapted (its vocabulary from the session's
title, abstract and notes, which name the topics in other sentences than the spoken ones; one
adapted recogniser per paragraph), and whisper when ``KSHARE_TRANSCRIBE_MODEL_DIR`` names a
model folder (otherwise skipped, and the run says so).

Rows in ``bench/results/bench_transcribe.json`` (``database`` is ``n/a``):

- ``wer``: total errors (S + D + I, ``kshare.library.speech.wer``) over total reference words of
  the eight paragraphs, with ``per_paragraph`` WERs and the S/D/I counts;
- ``realtime_factor``: wall seconds of decoding + recognition ÷ audio seconds; beside it
  ``cpu_per_audio_s`` (CPU seconds per audio second, which survives a busy machine),
  ``load_s`` (loading or adapting the model, not in the factor), ``calibrate_s`` (choosing the
  speaker's warp on the first chunk, once per file as the worker does: in the factor) and the
  ``loadavg``;
- ``peak_rss_mb``: the child's peak resident memory (Python, the model, decoding).

plus a ``long_recording`` workload: the paragraphs repeated with pauses into one ``--minutes``
(default 60) recording, encoded once and cached under ``.cache/bench/transcribe``, transcribed end
to end by the generic recogniser (``realtime_factor`` and ``peak_rss_mb``). Goals from the issue
are printed beside the numbers and stored in each row's ``goal``.

    .venv/bin/python bench/run.py -k transcribe                  # through the runner
    KSHARE_BENCH_TRANSCRIBE_MINUTES=20 .venv/bin/python bench/run.py -k transcribe
    KSHARE_BENCH_TRANSCRIBE_ONLY=generic .venv/bin/python bench/run.py -k transcribe
    .venv/bin/python bench/bench_transcribe.py --minutes 10 --no-save   # alone
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

import transcribe_speech as speech

if TYPE_CHECKING:
    from kshare.library.speech.types import Recogniser

MODULE = "bench_transcribe"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MINUTES = 60.0
# The product's default chunk (KSHARE_TRANSCRIBE_CHUNK_SECONDS).
CHUNK_SECONDS = 30
DATABASE = "n/a"
# Goals from issue 19 for the shipped recogniser (2 cores).
GOAL_WER_CLEAN_GENERIC = 0.25
GOAL_WER_CLEAN_ADAPTED = 0.12
GOAL_WER_NOISY = 0.40
GOAL_REALTIME_FACTOR = 0.5
GOAL_PEAK_MB = 1024.0
HYPOTHESES = speech.CACHE / "last-hypotheses.json"


@dataclass(frozen=True)
class Config:
    """One child process: a recogniser configuration on a set of files."""

    name: str  # the workload: "paragraphs" or "long_recording"
    backend: str
    adapted: bool
    condition: str
    model_dir: str = ""

    @property
    def label(self) -> str:
        """ "pocketsphinx adapted noisy_20db": what ``--only`` matches."""
        return f"{self.backend} {'adapted' if self.adapted else 'generic'} {self.condition}"


@dataclass(frozen=True)
class Measured:
    """One file transcribed in a child: what it heard and what that cost."""

    key: str
    reference: str
    hypothesis: str
    audio_s: float
    wall_s: float
    cpu_s: float
    load_s: float
    calibrate_s: float = 0.0


@dataclass(frozen=True)
class ChildResult:
    config: Config
    recogniser_name: str
    measured: tuple[Measured, ...]
    peak_rss_mb: float


# --- the child: transcribe files through the product's chunked path ---------------------------


def transcribe_file(
    path: Path, recogniser: Recogniser, *, chunk_seconds: int
) -> tuple[str, float, float]:
    """The words of ``path`` read chunk by chunk as the worker does, after the recogniser's
    calibration on the first chunk (``kshare.library.transcription``); returns (text, audio s,
    wall seconds of the calibration, which the caller's time includes)."""
    from kshare.library.speech import audio

    rate = recogniser.sample_rate
    started = time.perf_counter()
    first = audio.read_chunk(path, start_ms=0, max_ms=chunk_seconds * 1000, sample_rate=rate)
    if len(first.samples):
        recogniser.calibrate(first.samples)
    calibrate_s = time.perf_counter() - started
    words = []
    start_ms = 0
    while True:
        chunk = audio.read_chunk(
            path, start_ms=start_ms, max_ms=chunk_seconds * 1000, sample_rate=rate
        )
        words.extend(recogniser.transcribe(chunk.samples, offset_ms=chunk.start_ms))
        if chunk.last:
            return " ".join(word.text for word in words), chunk.end_ms / 1000, calibrate_s
        start_ms = chunk.end_ms


def child_main(job: Mapping[str, object]) -> dict[str, object]:
    """Transcribe ``job["items"]`` with one configuration; timings per item."""
    from kshare.library.speech.recognisers import recogniser_for
    from kshare.library.speech.types import RecogniserUnavailable

    recogniser: Recogniser | None = None
    loaded_for = None
    out = []
    name = ""
    for item in job["items"]:  # type: ignore[attr-defined]
        vocabulary = item["vocabulary_text"]
        started, cpu_started = time.perf_counter(), time.process_time()
        if recogniser is None or vocabulary != loaded_for:
            # One recogniser alive at a time, as a worker holds one per recording: keeping the
            # eight adapted ones would measure eight models' memory.
            recogniser = None
            try:
                recogniser = recogniser_for(
                    backend=str(job["backend"]),
                    model_dir=str(job["model_dir"]),
                    vocabulary_text=vocabulary,
                )
            except RecogniserUnavailable as error:
                return {"unavailable": str(error)}
            loaded_for = vocabulary
        name = recogniser.name
        load_s = time.perf_counter() - started
        started, cpu_started = time.perf_counter(), time.process_time()
        text, audio_s, calibrate_s = transcribe_file(
            Path(item["path"]), recogniser, chunk_seconds=int(job["chunk_seconds"])
        )
        out.append(
            {
                "key": item["key"],
                "hypothesis": text,
                "audio_s": audio_s,
                "wall_s": time.perf_counter() - started,
                "cpu_s": time.process_time() - cpu_started,
                "load_s": load_s,
                "calibrate_s": calibrate_s,
            }
        )
    return {"recogniser_name": name, "items": out}


class Unavailable(RuntimeError):
    """The configuration's recogniser cannot be loaded here (its one sentence)."""


def child_python(backend: str) -> str:
    """The interpreter for a child: ours, except for whisper when faster-whisper is not installed
    in it but ``make whisper``'s virtualenv (.cache/whisper/venv, which sees .venv's packages)
    has it, as the whisper tests use it."""
    if backend != "whisper" or importlib.util.find_spec("faster_whisper") is not None:
        return sys.executable
    candidate = ROOT / ".cache" / "whisper" / "venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def run_child(config: Config, items: list[dict[str, str]]) -> ChildResult:
    """Run ``config`` on ``items`` in a child process; its peak RSS from ``wait4``.

    Raises ``Unavailable`` when the recogniser cannot be loaded there."""
    job = {
        "backend": config.backend,
        "model_dir": config.model_dir,
        "chunk_seconds": CHUNK_SECONDS,
        "items": [
            {"key": i["key"], "path": i["path"], "vocabulary_text": i["vocabulary_text"]}
            for i in items
        ],
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [child_python(config.backend), str(Path(__file__).resolve()), "--child"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
        )
        assert child.stdin is not None
        child.stdin.write(json.dumps(job).encode())
        child.stdin.close()
        # wait4, not Popen.wait: the kernel's resource usage of this one child comes with it.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            raise RuntimeError(
                f"the {config.backend} child failed ({child.returncode}):\n"
                + err.read().decode(errors="replace")[-3000:]
            )
        out.seek(0)
        answer = json.loads(out.read().decode().strip().splitlines()[-1])
    if "unavailable" in answer:
        raise Unavailable(answer["unavailable"])
    references = {i["key"]: i["reference"] for i in items}
    measured = tuple(
        Measured(
            key=m["key"],
            reference=references[m["key"]],
            hypothesis=m["hypothesis"],
            audio_s=m["audio_s"],
            wall_s=m["wall_s"],
            cpu_s=m["cpu_s"],
            load_s=m["load_s"],
            calibrate_s=m.get("calibrate_s", 0.0),
        )
        for m in answer["items"]
    )
    # ru_maxrss is in KiB on Linux.
    return ChildResult(config, answer["recogniser_name"], measured, usage.ru_maxrss / 1024)


# --- rows ---------------------------------------------------------------------------------------


def wer_goal(config: Config) -> float | None:
    if config.condition == "noisy_20db":
        return GOAL_WER_NOISY
    if config.backend != "pocketsphinx":
        return None  # the goals are the shipped recogniser's
    return GOAL_WER_CLEAN_ADAPTED if config.adapted else GOAL_WER_CLEAN_GENERIC


def wer_counts(measured: Iterable[Measured]) -> dict[str, object]:
    """Total S, D, I and reference words over ``measured``, and each paragraph's WER."""
    from kshare.library.speech.wer import alignment_counts, normalise

    totals = {"substitutions": 0, "deletions": 0, "insertions": 0, "words": 0}
    per_paragraph = {}
    for m in measured:
        counts = alignment_counts(normalise(m.reference), normalise(m.hypothesis))
        totals["substitutions"] += counts.substitutions
        totals["deletions"] += counts.deletions
        totals["insertions"] += counts.insertions
        totals["words"] += counts.reference_words
        per_paragraph[m.key] = round(counts.errors / max(counts.reference_words, 1), 4)
    errors = totals["substitutions"] + totals["deletions"] + totals["insertions"]
    return {**totals, "errors": errors, "per_paragraph": per_paragraph}


def rows_of(result: ChildResult, *, with_wer: bool = True) -> list[tuple[str, float, str, dict]]:
    """(metric, value, unit, extra fields) for one child's measurement."""
    config = result.config
    common = {
        "recogniser": config.backend,
        "recogniser_name": result.recogniser_name,
        "condition": config.condition,
        "adapted": config.adapted,
        "audio_format": speech.FORMAT,
    }
    audio_s = sum(m.audio_s for m in result.measured)
    wall_s = sum(m.wall_s for m in result.measured)
    cpu_s = sum(m.cpu_s for m in result.measured)
    rows: list[tuple[str, float, str, dict]] = []
    if with_wer:
        counts = wer_counts(result.measured)
        words = int(counts["words"])  # type: ignore[call-overload]
        rows.append(
            (
                "wer",
                round(int(counts["errors"]) / max(words, 1), 4),  # type: ignore[call-overload]
                "ratio",
                {**common, **counts, "goal": wer_goal(config)},
            )
        )
    rows.append(
        (
            "realtime_factor",
            round(wall_s / audio_s, 4),
            "ratio",
            {
                **common,
                "cpu_per_audio_s": round(cpu_s / audio_s, 4),
                "audio_s": round(audio_s, 1),
                "wall_s": round(wall_s, 1),
                "load_s": round(sum(m.load_s for m in result.measured), 2),
                "calibrate_s": round(sum(m.calibrate_s for m in result.measured), 2),
                "files": len(result.measured),
                "goal": GOAL_REALTIME_FACTOR,
            },
        )
    )
    rows.append(
        ("peak_rss_mb", round(result.peak_rss_mb, 1), "MB", {**common, "goal": GOAL_PEAK_MB})
    )
    return rows


def _row_dict(row: object) -> dict:
    return row.as_dict() if hasattr(row, "as_dict") else dict(row)  # type: ignore[call-overload]


def format_table(rows: Iterable[object]) -> str:
    """Workload x recogniser x condition: WER, realtime factor, CPU per audio second, peak
    memory, each with its goal, and the load average."""
    lines: dict[tuple, dict[str, str]] = {}
    for raw in rows:
        row = _row_dict(raw)
        adapted = "adapted" if row.get("adapted") else "generic"
        key = (row["name"], f"{row.get('recogniser')} {adapted}", row.get("condition"))
        cell = lines.setdefault(key, {})
        goal = row.get("goal")
        if row["metric"] == "wer":
            cell["wer"] = f"{row['value']:.3f}" + (f" (≤ {goal:.2f})" if goal else "")
        elif row["metric"] == "realtime_factor":
            cell["rtf"] = f"{row['value']:.3f} (≤ {goal:.1f})"
            cell["cpu"] = f"{row.get('cpu_per_audio_s', 0):.3f}"
            cell["audio"] = f"{float(row.get('audio_s', 0)) / 60:.1f}"
            cell["load"] = f"{row.get('loadavg')}"
        elif row["metric"] == "peak_rss_mb":
            cell["peak"] = f"{row['value']:.0f} (≤ {goal:.0f})"
    header = (
        "workload",
        "recogniser",
        "condition",
        "audio min",
        "WER (goal)",
        "RTF (goal)",
        "CPU s/audio s",
        "peak MB (goal)",
        "loadavg",
    )
    table = [header]
    for (name, recogniser, condition), cell in lines.items():
        table.append(
            (
                str(name),
                recogniser,
                str(condition),
                cell.get("audio", "—"),
                cell.get("wer", "—"),
                cell.get("rtf", "—"),
                cell.get("cpu", "—"),
                cell.get("peak", "—"),
                cell.get("load", "—"),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    out = []
    for index, line in enumerate(table):
        out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# --- the run ------------------------------------------------------------------------------------


def misrecognised(reference: str, hypothesis: str) -> list[str]:
    """The reference's stretches the recogniser got wrong, "said → heard" (for the report)."""
    from kshare.library.speech.wer import normalise

    ref, hyp = normalise(reference), normalise(hypothesis)
    out = []
    matcher = difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "equal":
            out.append(f"{' '.join(ref[a1:a2]) or '∅'} → {' '.join(hyp[b1:b2]) or '∅'}")
    return out


def configs() -> tuple[list[Config], str]:
    """The paragraph configurations, and why whisper is skipped ("" when it runs)."""
    chosen = [
        Config("paragraphs", "pocketsphinx", adapted, condition)
        for adapted in (False, True)
        for condition in speech.CONDITIONS
    ]
    model_dir = os.environ.get("KSHARE_TRANSCRIBE_MODEL_DIR", "").strip()
    if not model_dir:
        return chosen, "KSHARE_TRANSCRIBE_MODEL_DIR is not set (no whisper model installed)"
    if not Path(model_dir).is_dir():
        return chosen, f"KSHARE_TRANSCRIBE_MODEL_DIR={model_dir} is not a folder"
    chosen += [
        Config("paragraphs", "whisper", adapted, condition, model_dir=model_dir)
        for adapted in (False, True)
        for condition in speech.CONDITIONS
    ]
    return chosen, ""


def paragraph_items(config: Config) -> list[dict[str, str]]:
    return [
        {
            "key": p.key,
            "path": str(speech.paragraph_file(p, config.condition)),
            "reference": p.spoken,
            "vocabulary_text": p.session_text if config.adapted else "",
        }
        for p in speech.PARAGRAPHS
    ]


def _print_paragraphs(results: list[ChildResult]) -> None:
    short = {"pocketsphinx": "sphinx"}
    labels = [
        f"{short.get(r.config.backend, r.config.backend)} "
        f"{'adapt' if r.config.adapted else 'gen'} "
        f"{'noisy' if r.config.condition != 'clean' else 'clean'}"
        for r in results
    ]
    print("   WER per paragraph")
    print("   " + "paragraph".ljust(12) + "".join(label.rjust(20) for label in labels))
    per = [wer_counts(r.measured)["per_paragraph"] for r in results]
    for p in speech.PARAGRAPHS:
        cells = "".join(f"{w[p.key]:20.3f}" for w in per)  # type: ignore[index]
        print("   " + p.key.ljust(12) + cells)
    for result in results:
        adapted = "adapted" if result.config.adapted else "generic"
        print(f"   misrecognised ({result.recogniser_name}, {adapted}, {result.config.condition}):")
        for m in result.measured:
            print(f"     {m.key}: " + "; ".join(misrecognised(m.reference, m.hypothesis)))


def run(bench=None, *, minutes: float | None = None, only: str | None = None) -> list:
    """Measure every configuration (or those whose label contains ``only``, e.g. "generic");
    with the runner's recorder, record the rows in it."""
    import results

    reason = speech.festival_missing()
    if reason:
        raise RuntimeError(reason)
    if minutes is None:
        minutes = float(os.environ.get("KSHARE_BENCH_TRANSCRIBE_MINUTES") or DEFAULT_MINUTES)
    if bench is None:
        bench = results.Recorder(
            database=DATABASE, commit=results.current_commit(), date=results.now_iso()
        )
    if only is None:
        only = os.environ.get("KSHARE_BENCH_TRANSCRIBE_ONLY", "")
    chosen, skipped = configs()
    if skipped:
        print(f"   whisper skipped: {skipped}.", flush=True)
    chosen = [config for config in chosen if only in config.label]
    measured: list[ChildResult] = []
    recorded = []
    for config in chosen:
        print(f"   {config.label}… (load {results.load_average()})", flush=True)
        try:
            result = run_child(config, paragraph_items(config))
        except Unavailable as error:
            print(f"   {config.backend} skipped: {error}", flush=True)
            continue
        measured.append(result)
        for metric, value, unit, extra in rows_of(result):
            recorded.append(
                bench.record(config.name, metric, value, unit, database=DATABASE, **extra)
            )
    if measured:
        _print_paragraphs(measured)
        HYPOTHESES.parent.mkdir(parents=True, exist_ok=True)
        HYPOTHESES.write_text(
            json.dumps(
                [
                    {"config": r.config.__dict__, "items": [m.__dict__ for m in r.measured]}
                    for r in measured
                ],
                indent=1,
            )
        )
    if minutes > 0:
        print(f"   long recording: {minutes:g} minutes (made once, cached)…", flush=True)
        path, said = speech.long_recording(minutes)
        config = Config("long_recording", "pocketsphinx", False, "clean")
        print(f"   transcribing {path.name}… (load {results.load_average()})", flush=True)
        item = {"key": "long", "path": str(path), "reference": said, "vocabulary_text": ""}
        result = run_child(config, [item])
        # WER of an hour would need a 9,000 x 9,000 word alignment in Python; the paragraphs
        # above measure accuracy, this row speed and memory.
        for metric, value, unit, extra in rows_of(result, with_wer=False):
            recorded.append(
                bench.record(
                    config.name, metric, value, unit, database=DATABASE, minutes=minutes, **extra
                )
            )
    return recorded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/bench_transcribe.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--minutes",
        type=float,
        help=f"length of the long recording (default {DEFAULT_MINUTES:g}; 0 skips it)",
    )
    parser.add_argument(
        "--only",
        help='only the paragraph configurations whose label contains this, e.g. "generic",'
        ' "whisper", "adapted clean" (the long recording runs unless --minutes 0)',
    )
    parser.add_argument("--no-save", action="store_true", help="print, do not record")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_main(json.loads(sys.stdin.read()))))
        return 0
    import results

    try:
        rows = run(minutes=args.minutes, only=args.only)
    except RuntimeError as exc:
        print(f"bench_transcribe: {exc}", file=sys.stderr)
        return 1
    if rows and not args.no_save:
        path = results.append(MODULE, rows)
        print(f"   {len(rows)} rows added to {path.relative_to(ROOT)}")
    print()
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
