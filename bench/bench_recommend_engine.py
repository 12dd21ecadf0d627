"""The recommender engine offline: every model on MovieTweetings-100k and synthetic data.

Records NDCG@10, Recall@10 and run time (fit + ranking) per model, the whole evaluation's wall
time, and for the synthetic organisation the hybrid's share of the oracle's NDCG@10 (overall and
cold-start people). MovieTweetings is skipped with a note when its files are missing.

Run alone with ``.venv/bin/python bench/run.py -k recommend_engine``.
"""

from __future__ import annotations

import os
from pathlib import Path


def run(bench) -> None:  # bench: results.Recorder
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from django.conf import settings

    from kshare.recommend.evaluation.evaluate import evaluate_movietweetings, evaluate_synthetic

    reports = [evaluate_synthetic()]
    movietweetings = Path(settings.KSHARE_DATA_DIR) / "movietweetings-100k"
    if (movietweetings / "ratings.dat").is_file():
        reports.append(evaluate_movietweetings(movietweetings))
    else:
        print(f"bench_recommend_engine: no MovieTweetings at {movietweetings}; skipped.")
    for report in reports:
        dataset = report["dataset"]
        for model, metrics in report["results"].items():
            name = f"{dataset} {model}"
            bench.record(name, "NDCG@10", metrics["ndcg@10"], "")
            bench.record(name, "Recall@10", metrics["recall@10"], "")
            bench.record(name, "fit + rank", metrics["seconds"], "s")
        bench.record(dataset, "whole evaluation (tuning included)", report["seconds"], "s")
        for part, ratio in report.get("oracle_ratio", {}).items():
            bench.record(dataset, f"hybrid / oracle NDCG@10 ({part})", ratio, "")
