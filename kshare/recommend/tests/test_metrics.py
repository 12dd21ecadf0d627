"""Ranking metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kshare.recommend.engine import metrics

RANKED = [[3, 1, 7, 2], [5, 6, 7, 8]]
RELEVANT = [np.array([1, 2, 9]), np.array([8])]


def test_ndcg_per_user_and_mean():
    # user 0: hits at ranks 2 and 4; ideal: 3 relevant at ranks 1-3 (k = 4)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    # user 1: one hit at rank 4, ideal 1 at rank 1
    assert metrics._per_user("ndcg", RANKED, RELEVANT, 4).tolist() == pytest.approx(
        [dcg / idcg, 1 / math.log2(5)]
    )
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 4) == pytest.approx(
        (dcg / idcg + 1 / math.log2(5)) / 2
    )
    # At k = 2 only user 0's hit at rank 2 counts; the ideal has min(3, 2) = 2 places.
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 2) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3)) / 2
    )


def test_recall_precision_map_mrr():
    assert metrics.recall_at_k(RANKED, RELEVANT, 4) == pytest.approx((2 / 3 + 1) / 2)
    assert metrics.precision_at_k(RANKED, RELEVANT, 4) == pytest.approx((2 / 4 + 1 / 4) / 2)
    # AP@4: user 0 (1/2 + 2/4) / min(3, 4); user 1 (1/4) / 1
    assert metrics.map_at_k(RANKED, RELEVANT, 4) == pytest.approx((1 / 3 + 1 / 4) / 2)
    assert metrics.mrr(RANKED, RELEVANT) == pytest.approx((1 / 2 + 1 / 4) / 2)
    assert metrics.mrr(RANKED, RELEVANT, 3) == pytest.approx((1 / 2 + 0) / 2)


def test_perfect_and_empty_rankings():
    assert metrics.ndcg_at_k([[1, 2]], [np.array([2, 1])], 2) == pytest.approx(1.0)
    assert metrics.map_at_k([[1, 2]], [np.array([2, 1])], 2) == pytest.approx(1.0)
    assert metrics.ndcg_at_k([[-1, -1]], [np.array([1])], 2) == 0.0


def test_users_without_held_out_items_are_left_out_of_the_mean():
    ranked = [[1, 2], [1, 2]]
    assert metrics.ndcg_at_k(ranked, [np.array([1]), np.array([], dtype=int)], 2) == 1.0
    assert metrics.ndcg_at_k(ranked, [np.array([], dtype=int)] * 2, 2) == 0.0


def test_catalogue_coverage_counts_distinct_items_in_the_top_k():
    assert metrics.catalogue_coverage([[0, 1, 2], [1, 3, -1]], 10, k=2) == pytest.approx(3 / 10)
    assert metrics.catalogue_coverage([[0, 1, 2], [1, 3, -1]], 10, k=3) == pytest.approx(4 / 10)
    assert metrics.catalogue_coverage([], 0) == 0.0


def test_all_metrics_names():
    result = metrics.all_metrics(RANKED, RELEVANT, 20, k=4)
    assert list(result) == ["ndcg@4", "recall@4", "precision@4", "map@4", "mrr", "coverage"]
    assert result["coverage"] == pytest.approx(7 / 20)
