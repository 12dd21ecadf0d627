"""`manage.py recommend evaluate` (what `kshare recommend evaluate` runs): offline evaluation.

Every model and baseline is evaluated in the same run on one data set: ``movietweetings`` (or a
directory holding MovieTweetings' ratings.dat), ``synthetic``, ``pyvideo-experts`` and ``demo``.
The result is a table, or with ``--json`` one object
``{"dataset", "protocol", "results": {model: {metric: value}}, ...}``.
A missing data set or an unknown name ends with exit code 2 and one sentence.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DATASETS = ("movietweetings", "synthetic", "pyvideo-experts", "demo")
EXIT_ERROR = 2


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=EXIT_ERROR)


def _seed(value: str) -> int:
    try:
        seed = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if seed < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be 0 or more")
    return seed


class Command(BaseCommand):
    help = "Offline evaluation of the recommender: every model and baseline on one data set."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        evaluate = actions.add_parser(
            "evaluate",
            help="evaluate every model and baseline on a data set",
            description=(
                "Evaluate every recommender model and baseline on one data set and print a "
                "table (or one JSON object with --json)."
            ),
        )
        evaluate.add_argument(
            "--dataset",
            required=True,
            metavar="NAME_OR_PATH",
            help=f"one of {', '.join(DATASETS)}, or a directory with MovieTweetings' ratings.dat",
        )
        evaluate.add_argument("--json", action="store_true", help="print one JSON object")
        evaluate.add_argument(
            "--seed",
            type=_seed,
            default=0,
            metavar="N",
            help="the generated organisation's seed (synthetic only; default 0)",
        )

    def handle(self, *args, **options) -> None:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        seed = options.get("seed", 0)
        if seed and options["dataset"] != "synthetic":
            raise _fail("--seed applies to the synthetic data set only.")
        report = self.evaluate(options["dataset"], seed)
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=False))
        else:
            self.stdout.write(format_table(report))

    def evaluate(self, dataset: str, seed: int = 0) -> dict:
        data_dir = Path(settings.KSHARE_DATA_DIR)
        if dataset == "movietweetings":
            return _movietweetings(data_dir / "movietweetings-100k")
        if dataset == "synthetic":
            from kshare.recommend.evaluation.evaluate import evaluate_synthetic

            return evaluate_synthetic(seed=seed)
        if dataset == "pyvideo-experts":
            try:
                from kshare.recommend.evaluation.pyvideo import evaluate_pyvideo
            except ImportError:
                raise _fail("The pyvideo-experts evaluation is not available yet.") from None
            path = data_dir / "pyvideo" / "talks.jsonl.gz"
            if not path.is_file():
                raise _fail(f"The pyvideo data set is missing: expected {path}.")
            return evaluate_pyvideo(path)
        if dataset == "demo":
            try:
                from kshare.recommend.evaluation.demo import evaluate_demo
            except ImportError:
                raise _fail("The demo evaluation is not available yet.") from None
            return evaluate_demo()
        path = Path(dataset).expanduser()
        if os.sep in dataset or "/" in dataset or path.exists():
            if not path.is_dir():
                raise _fail(f"No data set directory at {path}.")
            return _movietweetings(path)
        raise _fail(
            f"Unknown data set {dataset!r}: choose one of {', '.join(DATASETS)} or give a "
            "directory holding MovieTweetings' ratings.dat."
        )


def _movietweetings(directory: Path) -> dict:
    from kshare.recommend.evaluation.evaluate import evaluate_movietweetings
    from kshare.recommend.evaluation.movietweetings import DatasetMissing

    ratings = directory / "ratings.dat"
    if not ratings.is_file():
        raise _fail(f"The MovieTweetings data set is missing: expected {ratings}.")
    try:
        return evaluate_movietweetings(directory)
    except DatasetMissing as exc:  # pragma: no cover - checked above; a race at most
        raise _fail(str(exc)) from None


def format_table(report: dict) -> str:
    """The results as an aligned text table, one row per model, one column per metric."""
    results: dict[str, dict[str, float]] = report.get("results", {})
    columns: list[str] = []
    for metrics in results.values():
        for name in metrics:
            if name not in columns:
                columns.append(name)
    header = ["model", *columns]
    rows = [
        [model, *(_cell(metrics.get(column)) for column in columns)]
        for model, metrics in results.items()
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [f"Data set: {report.get('dataset', '?')}"]
    if report.get("protocol"):
        lines.append(f"Protocol: {report['protocol']}")
    lines.append("")
    for row in [header, *rows]:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(cell).rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    if report.get("best"):
        lines.append("")
        lines.append(f"Best model: {report['best']}")
    if report.get("oracle_ratio"):
        ratios = ", ".join(f"{k} {v:.3f}" for k, v in report["oracle_ratio"].items())
        lines.append(f"Share of the oracle's NDCG@10: {ratios}")
    if report.get("seconds") is not None:
        lines.append(f"Run time: {report['seconds']:.1f} s")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
