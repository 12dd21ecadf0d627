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
