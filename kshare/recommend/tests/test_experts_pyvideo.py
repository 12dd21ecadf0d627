"""The pyvideo-experts benchmark: protocol counts and the floors of the issue's goal.

One evaluation per test module (about 30 s of CPU); skipped when the data set is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from kshare.recommend.engine.experts import holdout_latest
from kshare.recommend.evaluation.pyvideo import (
    _metrics,
    evaluate_pyvideo,
    load_talks,
)

TALKS = Path(settings.KSHARE_DATA_DIR) / "pyvideo" / "talks.jsonl.gz"
needs_pyvideo = pytest.mark.skipif(not TALKS.is_file(), reason=f"pyvideo not found at {TALKS}")


@pytest.fixture(scope="module")
def report() -> dict:
    return evaluate_pyvideo(TALKS, models=("tfidf", "most-talks", "experts"))


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "pyvideo" / "talks.jsonl.gz"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        evaluate_pyvideo(missing)


def test_metrics_recall_share_and_best_rank():
    ranked = [np.array([5, 3, 1, 2]), np.array([2, 1])]
    relevant = [[1, 2], [7]]
    recall, mrr = _metrics(ranked, relevant, k=3)
    assert recall == pytest.approx((1 / 2 + 0) / 2)
    assert mrr == pytest.approx((1 / 3 + 0) / 2)


@needs_pyvideo
def test_protocol_counts():
    talks = load_talks(TALKS)
    assert len(talks.text) == 11932
    train, queries, relevant = holdout_latest(talks.people, talks.order)
    assert len(queries) == 1928
    assert len(train) == 9954
    assert len({p for d in train for p in talks.people[d]}) == 7935
    assert all(relevant)


@needs_pyvideo
def test_report_shape(report):
    assert report["dataset"] == "pyvideo-experts"
    assert "held out" in report["protocol"]
    assert report["counts"]["talks"] == 11932
    assert report["counts"]["queries"] == 1928
    assert set(report["results"]) == {"tfidf", "most-talks", "experts"}
    assert report["best"] == "experts"
    for metrics in report["results"].values():
        assert set(metrics) == {"recall@10", "mrr", "queries", "seconds"}
        assert metrics["queries"] == 1928


@needs_pyvideo
def test_tfidf_baseline_reproduces_the_reference(report):
    tfidf = report["results"]["tfidf"]
    assert tfidf["recall@10"] == pytest.approx(0.318, abs=0.01)
    assert tfidf["mrr"] == pytest.approx(0.247, abs=0.01)
    assert report["results"]["most-talks"]["recall@10"] == pytest.approx(0.005, abs=0.003)


@needs_pyvideo
def test_experts_reach_the_goal(report):
    experts = report["results"]["experts"]
    assert experts["recall@10"] >= 0.36
    assert experts["mrr"] >= 0.28
