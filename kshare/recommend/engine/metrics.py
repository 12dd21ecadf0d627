"""Ranking metrics over top-k lists (binary relevance).

``ranked``: a list of ranked item ids per user (best first, -1 = padding); ``relevant``: the set /
array of held-out items per user. Every ``*_at_k`` function returns the mean over users that have
at least one relevant item; the per-user helpers are exposed for tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def _hits(ranked: Sequence[int], relevant: set[int], k: int) -> np.ndarray:
    return np.array([1.0 if int(i) in relevant else 0.0 for i in list(ranked)[:k]])


def ndcg_user(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    rel = set(int(i) for i in relevant)
    if not rel:
        return 0.0
    hits = _hits(ranked, rel, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((hits * discounts[: len(hits)]).sum())
    idcg = float(discounts[: min(len(rel), k)].sum())
    return dcg / idcg


def recall_user(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    rel = set(int(i) for i in relevant)
    if not rel:
        return 0.0
    return float(_hits(ranked, rel, k).sum()) / len(rel)


def precision_user(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    rel = set(int(i) for i in relevant)
    if k <= 0:
        return 0.0
    return float(_hits(ranked, rel, k).sum()) / k


def ap_user(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    """Average precision at k, normalised by min(|relevant|, k)."""
    rel = set(int(i) for i in relevant)
    if not rel:
        return 0.0
    hits = _hits(ranked, rel, k)
    if not hits.any():
        return 0.0
    precisions = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precisions * hits).sum()) / min(len(rel), k)


def rr_user(ranked: Sequence[int], relevant: Iterable[int], k: int | None = None) -> float:
    rel = set(int(i) for i in relevant)
    items = list(ranked) if k is None else list(ranked)[:k]
    for position, item in enumerate(items, start=1):
        if int(item) in rel:
            return 1.0 / position
    return 0.0


def _mean(fn, ranked, relevant, k) -> float:  # type: ignore[no-untyped-def]
    values = [fn(r, rel, k) for r, rel in zip(ranked, relevant, strict=True) if len(rel)]
    return float(np.mean(values)) if values else 0.0


def ndcg_at_k(ranked, relevant, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    return _mean(ndcg_user, ranked, relevant, k)


def recall_at_k(ranked, relevant, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    return _mean(recall_user, ranked, relevant, k)


def precision_at_k(ranked, relevant, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    return _mean(precision_user, ranked, relevant, k)


def map_at_k(ranked, relevant, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    return _mean(ap_user, ranked, relevant, k)


def mrr(ranked, relevant, k: int | None = None) -> float:  # type: ignore[no-untyped-def]
    return _mean(rr_user, ranked, relevant, k)


def catalogue_coverage(ranked, n_items: int, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    """Share of the catalogue that appears in at least one user's top k."""
    if n_items <= 0:
        return 0.0
    shown: set[int] = set()
    for row in ranked:
        shown.update(int(i) for i in list(row)[:k] if int(i) >= 0)
    return len(shown) / n_items


def all_metrics(ranked, relevant, n_items: int, k: int = 10) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {
        f"ndcg@{k}": ndcg_at_k(ranked, relevant, k),
        f"recall@{k}": recall_at_k(ranked, relevant, k),
        f"precision@{k}": precision_at_k(ranked, relevant, k),
        f"map@{k}": map_at_k(ranked, relevant, k),
        "mrr": mrr(ranked, relevant, k),
        "coverage": catalogue_coverage(ranked, n_items, k),
    }
