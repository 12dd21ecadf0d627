"""Baselines that only the offline evaluation runs: the oracle of the synthetic organisation and
PureSVD with side columns (declared words and team). Pure numpy / scipy / scikit-learn."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from kshare.recommend.engine.base import TrainData
from kshare.recommend.engine.models import PureSVD, penalise_negatives, user_recency_weights


class Oracle:
    """The true preference scores (synthetic data only): the ceiling for every other model.

    Treated like every model: the same candidates, seen items excluded by the caller, and the
    user's dismissed items pushed last (``penalise_negatives``).
    """

    name = "oracle"

    def __init__(self, preference: np.ndarray) -> None:
        self.preference = np.asarray(preference, dtype=np.float64)
        self.data: TrainData | None = None

    def fit(self, data: TrainData) -> Oracle:
        self.data = data
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        return self.preference[np.asarray(users, dtype=np.int64)].copy()

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return penalise_negatives(self.raw_score(users), self.data, users).astype(np.float32)


def side_columns(data: TrainData, text_weight: float, team_weight: float) -> sp.csr_matrix:
    """Per user: ``text_weight`` x their declared words (TF-IDF, L2 normalised, the vocabulary of
    the items' and people's texts) beside ``team_weight`` x a one-hot of their team (none: 0s)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    blocks = [sp.csr_matrix((data.n_users, 0), dtype=np.float32)]
    if text_weight and data.user_text is not None:
        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
        try:
            vectorizer.fit([t or "" for t in (data.item_text or [])] + list(data.user_text))
        except ValueError:  # no words at all
            pass
        else:
            words = vectorizer.transform([t or "" for t in data.user_text])
            blocks.append(text_weight * normalize(words).astype(np.float32))
    if team_weight and data.user_group is not None:
        groups = np.asarray(data.user_group, dtype=np.int64)
        members = np.flatnonzero(groups >= 0)
        n_groups = int(groups.max()) + 1 if len(members) else 0
        blocks.append(
            sp.csr_matrix(
                (np.full(len(members), team_weight, dtype=np.float32), (members, groups[members])),
                shape=(data.n_users, n_groups),
            )
        )
    return sp.hstack(blocks, format="csr", dtype=np.float32)


class SideSVD(PureSVD):
    """PureSVD over the interactions beside side columns: declared words and team.

    The factorised matrix is ``[X | text_weight * words | team_weight * team]`` (``side_columns``),
    so the factors tie words and teams to sessions: a person with few or no interactions is placed
    by what they declared and where they work, and a tiny history is steadied by both.
    score(u) = f_u V V_items^T, f_u the person's whole row.
    """

    name = "svd-side"

    def __init__(
        self,
        factors: int = 8,
        text_weight: float = 3.0,
        team_weight: float = 3.0,
        half_life_days: float | None = None,
    ) -> None:
        super().__init__(factors=factors, half_life_days=half_life_days)
        self.text_weight = text_weight
        self.team_weight = team_weight
        self.rows: sp.csr_matrix | None = None

    def fit(self, data: TrainData) -> SideSVD:
        from scipy.sparse.linalg import svds

        self.data = data
        self.x = user_recency_weights(data, self.half_life_days)
        side = side_columns(data, self.text_weight, self.team_weight)
        self.rows = sp.hstack([self.x, side], format="csr", dtype=np.float64)
        rank = max(1, min(self.factors, min(self.rows.shape) - 1))
        if self.rows.nnz == 0:
            self.v = np.zeros((self.rows.shape[1], rank))
            return self
        start = np.random.default_rng(data.seed).standard_normal(min(self.rows.shape))
        _, _, vt = svds(self.rows, k=rank, v0=start, random_state=data.seed)
        self.v = vt.T
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        assert self.rows is not None and self.v is not None and self.data is not None, "fit first"
        users = np.asarray(users, dtype=np.int64)
        items = self.v[: self.data.n_items]
        return np.asarray((self.rows[users] @ self.v) @ items.T, dtype=np.float64)
