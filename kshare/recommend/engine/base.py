"""The engine's data contract: training data, the recommender protocol and top-k selection.

Pure Python + numpy/scipy: nothing in ``kshare.recommend.engine`` imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp

DAY = 86400.0


@dataclass
class TrainData:
    """What a recommender learns from; users and items are dense indices 0..n-1."""

    interactions: sp.csr_matrix  # users x items, float32 positive weights (implicit feedback)
    negatives: sp.csr_matrix | None = None  # users x items, 1.0 = dismissed / declined / rated 1-2
    item_text: list[str] | None = None  # per item: title + abstract + tags (+ transcript)
    user_text: list[str] | None = None  # per user: declared skills (repeated by level) + interests
    item_time: np.ndarray | None = None  # per item: unix seconds (session start / creation)
    interaction_time: sp.csr_matrix | None = None  # same sparsity as interactions: unix seconds
    user_group: np.ndarray | None = None  # per user: team index (-1 = none)
    now: float | None = None  # unix seconds "now" for recency decay
    seed: int = 0

    def __post_init__(self) -> None:
        self.interactions = sp.csr_matrix(self.interactions, dtype=np.float32)
        if self.negatives is not None:
            self.negatives = sp.csr_matrix(self.negatives, dtype=np.float32)
            if self.negatives.shape != self.interactions.shape:
                raise ValueError("negatives must have the shape of interactions")
        if self.interaction_time is not None:
            self.interaction_time = sp.csr_matrix(self.interaction_time, dtype=np.float64)
            if self.interaction_time.shape != self.interactions.shape:
                raise ValueError("interaction_time must have the shape of interactions")
        n_users, n_items = self.interactions.shape
        if self.item_text is not None and len(self.item_text) != n_items:
            raise ValueError("item_text needs one entry per item")
        if self.user_text is not None and len(self.user_text) != n_users:
            raise ValueError("user_text needs one entry per user")
        if self.item_time is not None and len(self.item_time) != n_items:
            raise ValueError("item_time needs one entry per item")
        if self.user_group is not None and len(self.user_group) != n_users:
            raise ValueError("user_group needs one entry per user")

    @property
    def n_users(self) -> int:
        return int(self.interactions.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.interactions.shape[1])

    def current_time(self) -> float:
        """``now`` if given, else the latest known time (interactions or items), else 0."""
        if self.now is not None:
            return float(self.now)
        latest = 0.0
        if self.interaction_time is not None and self.interaction_time.nnz:
            latest = max(latest, float(self.interaction_time.data.max()))
        if self.item_time is not None and len(self.item_time):
            latest = max(latest, float(np.nanmax(self.item_time)))
        return latest


class Recommender(Protocol):
    name: str

    def fit(self, data: TrainData) -> Recommender: ...

    def score(self, users: np.ndarray) -> np.ndarray:
        """(len(users), n_items) float32 scores, higher = better."""
        ...


def top_k(
    scores: np.ndarray,
    k: int,
    exclude: sp.csr_matrix | None = None,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The k best items per row of ``scores`` (best first) and their scores.

    ``exclude``: a (rows x items) sparse matrix; its non-zero entries are never returned (seen
    items). ``allowed``: a boolean mask over items (or an array of item indices) that may be
    returned. Ties are broken by the lower item index, so the result is deterministic. Rows with
    fewer than k candidates are padded with item id -1 and score -inf.
    """
    scores = np.array(scores, dtype=np.float64, copy=True, ndmin=2)
    n_rows, n_items = scores.shape
    if exclude is not None:
        exclude = sp.csr_matrix(exclude)
        if exclude.shape != scores.shape:
            raise ValueError("exclude must have the shape of scores")
        rows = np.repeat(np.arange(n_rows), np.diff(exclude.indptr))
        scores[rows, exclude.indices] = -np.inf
    if allowed is not None:
        allowed = np.asarray(allowed)
        if allowed.dtype != bool:
            mask = np.zeros(n_items, dtype=bool)
            mask[allowed.astype(np.int64)] = True
            allowed = mask
        scores[:, ~allowed] = -np.inf
    k = max(0, min(int(k), n_items))
    ids = np.full((n_rows, k), -1, dtype=np.int64)
    out = np.full((n_rows, k), -np.inf, dtype=np.float64)
    if k == 0 or n_rows == 0:
        return ids, out.astype(np.float32)
    # Partition first (fast), then a stable sort of the candidates by (-score, item id).
    if k < n_items:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        kth = np.take_along_axis(scores, part, axis=1).min(axis=1)
    for row in range(n_rows):
        s = scores[row]
        # Below n_items: every tie at the boundary is a candidate.
        cand = np.flatnonzero(s >= kth[row]) if k < n_items else np.arange(n_items)
        order = np.lexsort((cand, -s[cand]))[:k]
        chosen = cand[order]
        keep = np.isfinite(s[chosen])
        chosen = chosen[keep]
        ids[row, : len(chosen)] = chosen
        out[row, : len(chosen)] = s[chosen]
    return ids, out.astype(np.float32)
