"""The time split of one person's interactions: their latest share held out.

The hybrid's weights are tuned on it when the recommender trains (``services.recommend_models``)
and the demo evaluation (``kshare.recommend.evaluation.demo``) measures every model on it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import TrainData

MIN_INTERACTIONS = 3
TEST_SHARE = 0.2


def split_by_time(
    data: TrainData, min_interactions: int = MIN_INTERACTIONS, share: float = TEST_SHARE
) -> tuple[TrainData, list[np.ndarray]]:
    """(training data, held-out item ids per user): each user's latest ``share`` of
    interactions (rounded, at least 1; ties by item id) when they have ``min_interactions``."""
    x = sp.csr_matrix(data.interactions)
    x.sort_indices()
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    cols = x.indices
    if data.interaction_time is not None:
        when = np.asarray(data.interaction_time.tocsr()[rows, cols], dtype=np.float64).ravel()
    else:
        when = np.zeros(len(cols))
    keep = np.ones(len(cols), dtype=bool)
    held: list[np.ndarray] = []
    for user in range(x.shape[0]):
        start, end = x.indptr[user], x.indptr[user + 1]
        if end - start < min_interactions:
            held.append(np.zeros(0, dtype=np.int64))
            continue
        order = np.lexsort((cols[start:end], when[start:end]))  # oldest first, ties by item
        n_test = max(1, round(share * (end - start)))
        test = start + order[-n_test:]
        keep[test] = False
        held.append(np.sort(cols[test]).astype(np.int64))

    def matrix(values: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((values[keep], (rows[keep], cols[keep])), shape=x.shape)

    train = TrainData(
        interactions=matrix(x.data),
        negatives=data.negatives,
        item_text=data.item_text,
        user_text=data.user_text,
        item_time=data.item_time,
        interaction_time=matrix(np.maximum(when, 1.0)),
        user_group=data.user_group,
        now=data.now,
        seed=data.seed,
    )
    return train, held
