"""Ranking metrics over top-k lists (binary relevance).

``ranked``: a list of ranked item ids per user (best first, -1 = padding); ``relevant``: the set /
array of held-out items per user. Every ``*_at_k`` function returns the mean over users that have
at least one relevant item. ``Hybrid.tune`` uses the per-user NDCG while training; the offline
evaluation (``kshare.recommend.evaluation``) reports them all.
"""

from __future__ import annotations

import numpy as np


def hit_matrix(ranked, relevant, k: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """(users x k) 0/1 hits and the number of relevant items per user (vectorised)."""
    rows = [np.asarray(r, dtype=np.int64)[:k] for r in ranked]
    n = len(rows)
    top = np.full((n, k), -1, dtype=np.int64)
    for u, row in enumerate(rows):
        top[u, : len(row)] = row
    rel = [np.unique(np.asarray(r, dtype=np.int64)) for r in relevant]
    n_rel = np.array([len(r) for r in rel], dtype=np.int64)
    width = int(max(top.max(initial=0), max((r.max(initial=0) for r in rel), default=0))) + 2
    rel_keys = np.concatenate(
        [u * width + r for u, r in enumerate(rel)] or [np.zeros(0, dtype=np.int64)]
    )
    top_keys = np.arange(n)[:, None] * width + top
    hits = np.isin(top_keys, rel_keys) & (top >= 0)
    return hits.astype(np.float64), n_rel


def _per_user(kind: str, ranked, relevant, k: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    hits, n_rel = hit_matrix(ranked, relevant, k)
    keep = n_rel > 0
    hits, n_rel = hits[keep], n_rel[keep]
    positions = np.arange(1, k + 1)
    if kind == "ndcg":
        discounts = 1.0 / np.log2(positions + 1)
        ideal = np.cumsum(discounts)[np.minimum(n_rel, k) - 1]
        return (hits * discounts).sum(axis=1) / ideal
    if kind == "recall":
        return hits.sum(axis=1) / n_rel
    if kind == "precision":
        return hits.sum(axis=1) / k
    if kind == "map":
        precisions = np.cumsum(hits, axis=1) / positions
        return (precisions * hits).sum(axis=1) / np.minimum(n_rel, k)
    if kind == "mrr":
        first = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, 0)
        return np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0)
    raise ValueError(kind)


def _mean(kind: str, ranked, relevant, k: int) -> float:  # type: ignore[no-untyped-def]
    if k <= 0:
        return 0.0
    values = _per_user(kind, ranked, relevant, k)
    return float(values.mean()) if len(values) else 0.0


def ndcg_at_k(ranked, relevant, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    return _mean("ndcg", ranked, relevant, k)


def recall_at_k(ranked, relevant, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    return _mean("recall", ranked, relevant, k)


def precision_at_k(ranked, relevant, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    return _mean("precision", ranked, relevant, k)


def map_at_k(ranked, relevant, k: int = 10) -> float:  # type: ignore[no-untyped-def]
    return _mean("map", ranked, relevant, k)


def mrr(ranked, relevant, k: int | None = None) -> float:  # type: ignore[no-untyped-def]
    """Mean reciprocal rank of the first hit (within the first k, or the whole list)."""
    if k is None:
        k = max((len(r) for r in ranked), default=0)
    return _mean("mrr", ranked, relevant, k)


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
