"""Recommenders: popularity, content (TF-IDF), EASE, ItemKNN and a tuned hybrid.

Every model follows ``base.Recommender``: ``fit(TrainData)`` then ``score(users)`` returns a dense
(len(users) x n_items) float32 matrix, higher = better. Seen items are not removed here; use
``base.top_k(..., exclude=...)``. Negatives (dismissed / declined / low ratings) push items down.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import DAY, TrainData

NEGATIVE_PENALTY = 1e3


def _penalise_negatives(
    scores: np.ndarray, data: TrainData | None, users: np.ndarray, penalty: float
) -> np.ndarray:
    """Push a user's negative items (dismissed, declined, low ratings) below everything else."""
    if data is None or data.negatives is None or data.negatives.nnz == 0 or penalty == 0:
        return scores
    neg = data.negatives[users]
    rows = np.repeat(np.arange(len(users)), np.diff(neg.indptr))
    scores[rows, neg.indices] -= penalty * neg.data
    return scores


class Popularity:
    """Items ranked by how many users interacted with them, recent interactions counting more.

    With ``half_life_days`` an interaction's weight halves every that many days before ``now``
    (interaction time if known, else item time); ``None`` = plain counts.
    """

    name = "popularity"

    def __init__(self, half_life_days: float | None = None) -> None:
        self.half_life_days = half_life_days
        self.item_scores: np.ndarray | None = None
        self.data: TrainData | None = None

    def fit(self, data: TrainData) -> Popularity:
        x = data.interactions
        now = data.current_time()
        if self.half_life_days is None:
            binary = x.copy()
            binary.data = np.ones_like(binary.data)
            pop = np.asarray(binary.sum(axis=0)).ravel()
        elif data.interaction_time is not None:
            t = data.interaction_time.tocsr()
            w = np.power(0.5, np.maximum(now - t.data, 0.0) / (self.half_life_days * DAY))
            weights = sp.csr_matrix((w, t.indices, t.indptr), shape=t.shape)
            pop = np.asarray(weights.sum(axis=0)).ravel()
        else:
            binary = x.copy()
            binary.data = np.ones_like(binary.data)
            pop = np.asarray(binary.sum(axis=0)).ravel()
            if data.item_time is not None:
                age = np.maximum(now - np.asarray(data.item_time, dtype=np.float64), 0.0)
                pop = pop * np.power(0.5, age / (self.half_life_days * DAY))
        self.item_scores = pop.astype(np.float64)
        self.data = data
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        assert self.item_scores is not None, "fit first"
        users = np.asarray(users, dtype=np.int64)
        scores = np.tile(self.item_scores, (len(users), 1))
        return _penalise_negatives(scores, self.data, users, NEGATIVE_PENALTY).astype(np.float32)


def _binary(x: sp.csr_matrix) -> sp.csr_matrix:
    b = sp.csr_matrix(x, dtype=np.float32, copy=True)
    b.data = np.ones_like(b.data)
    return b


class EASE:
    """Embarrassingly shallow autoencoder (Steck 2019): closed-form item-item weights.

    B = I - P / diag(P) with P = (XᵀX + λI)⁻¹ and a zero diagonal. Dense in items: above
    ``max_items`` items it falls back to ``ItemKNN`` with the same interface.
    """

    name = "ease"

    def __init__(self, lam: float = 500.0, max_items: int = 15000) -> None:
        self.lam = lam
        self.max_items = max_items
        self.weights: np.ndarray | None = None
        self.fallback: ItemKNN | None = None
        self.data: TrainData | None = None
        self.x: sp.csr_matrix | None = None

    def fit(self, data: TrainData) -> EASE:
        self.data = data
        self.x = sp.csr_matrix(data.interactions, dtype=np.float32)
        if data.n_items > self.max_items:
            self.fallback = ItemKNN().fit(data)
            return self
        gram = (self.x.T @ self.x).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.lam
        p = np.linalg.inv(gram)
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0.0
        self.weights = b.astype(np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        if self.fallback is not None:
            return self.fallback.score(users)
        assert self.x is not None and self.weights is not None, "fit first"
        scores = np.asarray(self.x[users] @ self.weights, dtype=np.float64)
        return _penalise_negatives(scores, self.data, users, NEGATIVE_PENALTY).astype(np.float32)


class ItemKNN:
    """Item-based nearest neighbours: cosine similarity, the k most similar items kept per item."""

    name = "itemknn"

    def __init__(self, k: int = 200, shrink: float = 0.0) -> None:
        self.k = k
        self.shrink = shrink
        self.sim: sp.csr_matrix | None = None
        self.x: sp.csr_matrix | None = None
        self.data: TrainData | None = None

    def fit(self, data: TrainData) -> ItemKNN:
        self.data = data
        self.x = sp.csr_matrix(data.interactions, dtype=np.float32)
        xb = self.x.tocsc()
        norms = np.sqrt(np.asarray(xb.multiply(xb).sum(axis=0)).ravel())
        co = (xb.T @ xb).tocsr().astype(np.float64)
        co.setdiag(0.0)
        co.eliminate_zeros()
        rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
        denom = norms[rows] * norms[co.indices] + self.shrink + 1e-12
        co.data = co.data / denom
        self.sim = _keep_top_k_per_row(co, self.k).T.tocsr().astype(np.float32)
        return self

    def neighbours(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The k most similar items to ``item`` (best first) and their similarities."""
        assert self.sim is not None, "fit first"
        col = self.sim[:, item].toarray().ravel()  # sim is stored transposed (i -> j in column j)
        order = np.lexsort((np.arange(len(col)), -col))
        order = order[col[order] > 0][:k]
        return order, col[order]

    def score(self, users: np.ndarray) -> np.ndarray:
        assert self.x is not None and self.sim is not None, "fit first"
        users = np.asarray(users, dtype=np.int64)
        scores = np.asarray((self.x[users] @ self.sim).toarray(), dtype=np.float64)
        return _penalise_negatives(scores, self.data, users, NEGATIVE_PENALTY).astype(np.float32)


def _keep_top_k_per_row(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    m = m.tocsr()
    indptr = [0]
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for row in range(m.shape[0]):
        start, end = m.indptr[row], m.indptr[row + 1]
        idx, val = m.indices[start:end], m.data[start:end]
        if len(val) > k:
            keep = np.lexsort((idx, -val))[:k]
            keep.sort()
            idx, val = idx[keep], val[keep]
        indices.append(idx)
        values.append(val)
        indptr.append(indptr[-1] + len(idx))
    return sp.csr_matrix(
        (
            np.concatenate(values) if values else np.zeros(0),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32),
            np.array(indptr),
        ),
        shape=m.shape,
    )
