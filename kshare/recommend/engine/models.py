"""Recommenders: popularity, content (TF-IDF), EASE, ItemKNN (EASE's fallback), SVD and a tuned
hybrid. Baselines only the offline evaluation uses (the oracle, SVD with side columns) live in
``kshare.recommend.evaluation.baselines``.

Every model follows ``base.Recommender``: ``fit(TrainData)`` then ``score(users)`` returns a dense
(len(users) x n_items) float32 matrix, higher = better. Seen items are not removed here; use
``base.top_k(..., exclude=...)``. Negatives (dismissed / declined / low ratings) are pushed below
every other item (``NEGATIVE_PENALTY`` is subtracted), so they only come back once a user has seen
everything else. ``raw_score`` is the same without that penalty (the hybrid blends raw scores and
applies the penalty once, after blending).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .base import DAY, TrainData, top_k

NEGATIVE_PENALTY = 1e3


def penalise_negatives(
    scores: np.ndarray, data: TrainData | None, users: np.ndarray, penalty: float = NEGATIVE_PENALTY
) -> np.ndarray:
    """Push a user's negative items (dismissed, declined, low ratings) below everything else."""
    if data is None or data.negatives is None or data.negatives.nnz == 0 or penalty == 0:
        return scores
    neg = data.negatives[users]
    rows = np.repeat(np.arange(len(users)), np.diff(neg.indptr))
    scores[rows, neg.indices] -= penalty * neg.data
    return scores


def binary(x: sp.spmatrix) -> sp.csr_matrix:
    b = sp.csr_matrix(x, dtype=np.float32, copy=True)
    b.eliminate_zeros()
    b.data = np.ones_like(b.data)
    return b


def user_recency_weights(data: TrainData, half_life_days: float | None) -> sp.csr_matrix:
    """Interaction weights halving every ``half_life_days`` before each user's latest interaction.

    The test of a recommender is each user's next interactions, and a user's recent taste predicts
    them better than what they did long ago. Without times (or half-life) the plain interactions.
    """
    x = sp.csr_matrix(data.interactions, dtype=np.float32)
    if half_life_days is None or data.interaction_time is None:
        return x
    t = data.interaction_time.tocsr()
    t.sort_indices()
    x = x.copy()
    x.sort_indices()
    if not np.array_equal(t.indices, x.indices) or not np.array_equal(t.indptr, x.indptr):
        raise ValueError("interaction_time must have the sparsity of interactions")
    counts = np.diff(t.indptr)
    last = np.zeros(t.shape[0])
    has = counts > 0
    last[has] = np.maximum.reduceat(t.data, t.indptr[:-1][has])
    rows = np.repeat(np.arange(t.shape[0]), counts)
    decay = np.power(0.5, np.maximum(last[rows] - t.data, 0.0) / (half_life_days * DAY))
    x.data = (x.data * decay).astype(np.float32)
    return x


class Popularity:
    """Items ranked by how many users interacted with them, recent interactions counting more.

    With ``half_life_days`` an interaction's weight halves every that many days before ``now``
    (interaction time if known, else the item's time); ``None`` = plain counts.
    """

    name = "popularity"

    def __init__(self, half_life_days: float | None = None) -> None:
        self.half_life_days = half_life_days
        self.item_scores: np.ndarray | None = None
        self.data: TrainData | None = None

    def fit(self, data: TrainData) -> Popularity:
        counts = binary(data.interactions)
        now = data.current_time()
        if self.half_life_days is not None and data.interaction_time is not None:
            t = data.interaction_time.tocsr()
            w = np.power(0.5, np.maximum(now - t.data, 0.0) / (self.half_life_days * DAY))
            pop = np.asarray(sp.csr_matrix((w, t.indices, t.indptr), shape=t.shape).sum(0))
        else:
            pop = np.asarray(counts.sum(axis=0), dtype=np.float64)
            if self.half_life_days is not None and data.item_time is not None:
                age = np.maximum(now - np.asarray(data.item_time, dtype=np.float64), 0.0)
                pop = pop * np.power(0.5, age / (self.half_life_days * DAY))
        self.item_scores = np.asarray(pop, dtype=np.float64).ravel()
        self.data = data
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        assert self.item_scores is not None, "fit first"
        return np.tile(self.item_scores, (len(np.asarray(users)), 1))

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return penalise_negatives(self.raw_score(users), self.data, users).astype(np.float32)


class EASE:
    """Embarrassingly shallow autoencoder (Steck 2019): closed-form item-item weights.

    B = I - P / diag(P) with P = (X'X + lam I)^-1 and a zero diagonal. With ``half_life_days``
    each user's interactions are weighted by recency (``user_recency_weights``) both when learning
    B and when scoring. Dense in items: above ``max_items`` items it falls back to ``ItemKNN``.
    """

    name = "ease"

    def __init__(
        self, lam: float = 500.0, half_life_days: float | None = None, max_items: int = 15000
    ) -> None:
        self.lam = lam
        self.half_life_days = half_life_days
        self.max_items = max_items
        self.weights: np.ndarray | None = None
        self.fallback: ItemKNN | None = None
        self.data: TrainData | None = None
        self.x: sp.csr_matrix | None = None

    def fit(self, data: TrainData) -> EASE:
        self.data = data
        self.x = user_recency_weights(data, self.half_life_days)
        if data.n_items > self.max_items:
            self.fallback = ItemKNN(half_life_days=self.half_life_days).fit(data)
            return self
        gram = (self.x.T @ self.x).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.lam
        p = _spd_inverse(gram)
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0.0
        self.weights = b.astype(np.float32)
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        if self.fallback is not None:
            return self.fallback.raw_score(users)
        assert self.x is not None and self.weights is not None, "fit first"
        return np.asarray(self.x[users] @ self.weights, dtype=np.float64)

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return penalise_negatives(self.raw_score(users), self.data, users).astype(np.float32)


def _spd_inverse(a: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix (Cholesky: about twice as fast as LU)."""
    from scipy.linalg import lapack

    factor, info = lapack.dpotrf(a, lower=True)
    if info != 0:
        return np.linalg.inv(a)
    inverse, info = lapack.dpotri(factor, lower=True)
    if info != 0:
        return np.linalg.inv(a)
    return np.tril(inverse) + np.tril(inverse, -1).T


class ItemKNN:
    """Item-based nearest neighbours: cosine similarity, the ``k`` most similar items per item.

    Sparse throughout, so it is the fallback for catalogues too large for EASE.
    """

    name = "itemknn"

    def __init__(
        self, k: int = 200, shrink: float = 0.0, half_life_days: float | None = None
    ) -> None:
        self.k = k
        self.shrink = shrink
        self.half_life_days = half_life_days
        self.sim: sp.csr_matrix | None = None  # sim[j, i]: how much item j suggests item i
        self.x: sp.csr_matrix | None = None
        self.data: TrainData | None = None

    def fit(self, data: TrainData) -> ItemKNN:
        self.data = data
        self.x = user_recency_weights(data, self.half_life_days)
        xb = binary(data.interactions).tocsc()
        norms = np.sqrt(np.asarray(xb.sum(axis=0), dtype=np.float64).ravel())
        co = (xb.T @ xb).tocsr().astype(np.float64)
        co.setdiag(0.0)
        co.eliminate_zeros()
        rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
        co.data = co.data / (norms[rows] * norms[co.indices] + self.shrink + 1e-12)
        self.sim = keep_top_k_per_row(co, self.k).astype(np.float32)
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        assert self.x is not None and self.sim is not None, "fit first"
        users = np.asarray(users, dtype=np.int64)
        # sim keeps each item's k neighbours in its row: score_i = sum_j x_j * sim[i, j].
        return np.asarray((self.x[users] @ self.sim.T).toarray(), dtype=np.float64)

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return penalise_negatives(self.raw_score(users), self.data, users).astype(np.float32)


def keep_top_k_per_row(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep each row's k largest entries (ties: lower column first)."""
    m = m.tocsr()
    m.sort_indices()
    keep = np.zeros(m.nnz, dtype=bool)
    for row in range(m.shape[0]):
        start, end = m.indptr[row], m.indptr[row + 1]
        if end - start <= k:
            keep[start:end] = True
        else:
            order = np.lexsort((m.indices[start:end], -m.data[start:end]))[:k]
            keep[start + order] = True
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))[keep]
    return sp.csr_matrix((m.data[keep], (rows, m.indices[keep])), shape=m.shape)


class ContentTfidf:
    """TF-IDF content similarity between a user's profile and each item's text.

    Item vectors: TF-IDF (sublinear tf, English stop words, 1-2 grams) of ``item_text``, L2
    normalised. A user's profile: the sum of their interacted items' vectors (recency weighted
    with ``half_life_days``) plus ``user_weight`` x their ``user_text`` vector (declared skills
    and interests), so a user without interactions (cold start) is matched on skills alone.
    """

    name = "content"

    def __init__(
        self,
        user_weight: float = 1.0,
        half_life_days: float | None = None,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 1,
        max_features: int | None = 50000,
    ) -> None:
        self.user_weight = user_weight
        self.half_life_days = half_life_days
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.items: sp.csr_matrix | None = None
        self.profiles: sp.csr_matrix | None = None
        self.data: TrainData | None = None
        self.vectorizer: Any = None  # sklearn TfidfVectorizer once fitted

    def fit(self, data: TrainData) -> ContentTfidf:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        self.data = data
        item_text = [t or "" for t in (data.item_text or [""] * data.n_items)]
        user_text = [t or "" for t in (data.user_text or [""] * data.n_users)]
        self.vectorizer = TfidfVectorizer(
            sublinear_tf=True,
            stop_words="english",
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_features=self.max_features,
            dtype=np.float32,
        )
        try:
            self.vectorizer.fit(item_text + user_text)
        except ValueError:  # no text at all: every score is 0
            self.items = sp.csr_matrix((data.n_items, 1), dtype=np.float32)
            self.profiles = sp.csr_matrix((data.n_users, 1), dtype=np.float32)
            return self
        self.items = normalize(self.vectorizer.transform(item_text)).astype(np.float32)
        users = normalize(self.vectorizer.transform(user_text)).astype(np.float32)
        x = user_recency_weights(data, self.half_life_days)
        history = normalize(x @ self.items)
        self.profiles = normalize(history + self.user_weight * users).tocsr()
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        assert self.items is not None and self.profiles is not None, "fit first"
        users = np.asarray(users, dtype=np.int64)
        return np.asarray((self.profiles[users] @ self.items.T).toarray(), dtype=np.float64)

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return penalise_negatives(self.raw_score(users), self.data, users).astype(np.float32)


def normalise_rows(scores: np.ndarray) -> np.ndarray:
    """Per-user z-scores (a row without spread becomes all zeros)."""
    scores = np.asarray(scores, dtype=np.float64)
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    out = np.zeros_like(scores)
    np.divide(scores - mean, std, out=out, where=std > 1e-12)
    return out


def log_scale(scores: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """``log(max(s, 0) + floor * row max)``: non-negative scores on a log scale, per user.

    For scores that multiply rather than add up (counts, shares, cosine similarities): blended
    after z-scoring, their logs make the hybrid a weighted geometric mean, so "on my topic" and
    "popular" must both hold, and an item scoring 0 on one model sits ``log(floor)`` below that
    user's best instead of at minus infinity.
    """
    scores = np.maximum(np.asarray(scores, dtype=np.float64), 0.0)
    top = np.maximum(scores.max(axis=1, keepdims=True), 1e-12) if scores.size else 1.0
    return np.log(scores + floor * top)


def _raw(model: object, users: np.ndarray) -> np.ndarray:
    raw = getattr(model, "raw_score", None)
    return raw(users) if raw is not None else model.score(users)  # type: ignore[attr-defined]


def _held_out_lists(validation: object, n_users: int) -> list[np.ndarray]:
    if sp.issparse(validation):
        v = sp.csr_matrix(validation)
        return [v.indices[v.indptr[u] : v.indptr[u + 1]] for u in range(v.shape[0])]
    lists = [np.asarray(items, dtype=np.int64) for items in validation]  # type: ignore[attr-defined]
    if len(lists) != n_users:
        raise ValueError("validation needs one list of held-out items per user")
    return lists


class Hybrid:
    """A weighted blend of models' per-user normalised (z-scored) scores.

    ``weights`` maps model names to weights (missing = 1). ``log_scaled`` names the models whose
    (non-negative) scores are put on a log scale (``log_scale``) before z-scoring: popularity and
    similarity scores multiply, so their logs add up. ``contributions`` shows what each model
    added to an item's score, so explanations can name the strongest signal. ``tune`` chooses the
    weights on a validation split by coordinate search.
    """

    name = "hybrid"

    def __init__(
        self,
        models: Sequence[Any],
        weights: Mapping[str, float] | None = None,
        log_scaled: Collection[str] = (),
    ) -> None:
        names = [m.name for m in models]  # type: ignore[attr-defined]
        if len(set(names)) != len(names):
            raise ValueError("models in a hybrid need distinct names")
        unknown = set(log_scaled) - set(names)
        if unknown:
            raise ValueError(f"log_scaled names models not in the hybrid: {sorted(unknown)}")
        self.models: list[Any] = list(models)
        self.weights = {n: float((weights or {}).get(n, 1.0)) for n in names}
        self.log_scaled = frozenset(log_scaled)
        self.data: TrainData | None = None

    def fit(self, data: TrainData) -> Hybrid:
        self.data = data
        for model in self.models:
            model.fit(data)  # type: ignore[attr-defined]
        return self

    def normalised(self, users: np.ndarray) -> dict[str, np.ndarray]:
        users = np.asarray(users, dtype=np.int64)
        out = {}
        for model in self.models:
            raw = _raw(model, users)
            out[model.name] = normalise_rows(
                log_scale(raw) if model.name in self.log_scaled else raw
            )
        return out

    def blend(self, parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
        total: np.ndarray | None = None
        for name, part in parts.items():
            w = weights.get(name, 0.0)
            if w == 0:
                continue
            total = w * part if total is None else total + w * part
        if total is None:
            total = np.zeros_like(next(iter(parts.values())))
        return total

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        return self.blend(self.normalised(users), self.weights)

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return penalise_negatives(self.raw_score(users), self.data, users).astype(np.float32)

    def contributions(self, user_index: int, item_indices: Sequence[int]) -> dict[str, np.ndarray]:
        """Each model's weighted, normalised contribution to the given items' scores."""
        items = np.asarray(item_indices, dtype=np.int64)
        parts = self.normalised(np.array([user_index]))
        return {
            name: (self.weights[name] * part[0, items]).astype(np.float32)
            for name, part in parts.items()
        }

    def tune(
        self,
        train: TrainData,
        validation: object,
        grid: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
        k: int = 10,
        rounds: int = 3,
        users: np.ndarray | None = None,
        folds: Sequence[tuple[TrainData, object]] = (),
    ) -> dict[str, float]:
        """Fit on ``train``, choose weights maximising NDCG@k on ``validation``, return them.

        ``validation``: per user an array of held-out item indices (or a users x items sparse
        matrix). ``grid``: candidate weights (for every model, or per model name). Coordinate
        search from all-ones, ``rounds`` passes; ties keep the earlier (smaller) setting.
        ``folds``: further (train, validation) splits; the NDCG@k then is over the held-out users
        of every split together (``users`` applies to the first split only), so the weights do
        not follow one split's noise. The models stay fitted on ``train``; refit on all data
        afterwards.
        """
        from .metrics import _per_user

        names = [m.name for m in self.models]  # type: ignore[attr-defined]
        default = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
        if grid is None or not isinstance(grid, Mapping):
            grids = {n: tuple(grid or default) for n in names}
        else:
            grids = {n: tuple(grid.get(n, default)) for n in names}
        splits = []
        # The first split last, so the models end fitted on ``train``.
        for index, (fold_train, fold_validation) in reversed(
            list(enumerate([(train, validation), *folds]))
        ):
            self.fit(fold_train)
            held = _held_out_lists(fold_validation, fold_train.n_users)
            fold_users = users if index == 0 else None
            if fold_users is None:
                fold_users = np.array([u for u, h in enumerate(held) if len(h)], dtype=np.int64)
            splits.append(
                (
                    fold_train,
                    fold_users,
                    self.normalised(fold_users),
                    fold_train.interactions[fold_users],
                    [held[u] for u in fold_users],
                )
            )

        def evaluate(weights: Mapping[str, float]) -> float:
            values = []
            for fold_train, fold_users, parts, seen, relevant in splits:
                blended = penalise_negatives(self.blend(parts, weights), fold_train, fold_users)
                ids, _ = top_k(blended, k, exclude=seen)
                values.append(_per_user("ndcg", ids, relevant, k))
            every = np.concatenate(values)
            return float(every.mean()) if len(every) else 0.0

        weights = {n: 1.0 for n in names}
        best = evaluate(weights)
        for _ in range(rounds):
            improved = False
            for name in names:
                for value in grids[name]:
                    if value == weights[name]:
                        continue
                    trial = {**weights, name: float(value)}
                    if not any(trial.values()):
                        continue
                    result = evaluate(trial)
                    if result > best + 1e-9:
                        best, weights, improved = result, trial, True
            if not improved:
                break
        self.weights = weights
        self.validation_ndcg = best
        return dict(weights)


class GroupPopularity:
    """What the user's own team attends: per-item counts among the members of ``user_group``.

    A user without a team (-1) or without ``user_group`` gets the overall counts; ``smoothing``
    mixes a little of the overall counts into every team's so small teams still rank sensibly.
    """

    name = "team-popularity"

    def __init__(self, smoothing: float = 0.1) -> None:
        self.smoothing = smoothing
        self.group_scores: np.ndarray | None = None
        self.overall: np.ndarray | None = None
        self.groups: np.ndarray | None = None
        self.data: TrainData | None = None

    def fit(self, data: TrainData) -> GroupPopularity:
        self.data = data
        x = binary(data.interactions)
        overall = np.asarray(x.sum(axis=0), dtype=np.float64).ravel()
        self.overall = overall / max(overall.sum(), 1.0)
        groups = (
            np.full(data.n_users, -1, dtype=np.int64)
            if data.user_group is None
            else np.asarray(data.user_group, dtype=np.int64)
        )
        self.groups = groups
        n_groups = int(groups.max()) + 1 if len(groups) and groups.max() >= 0 else 0
        scores = np.zeros((n_groups, data.n_items))
        if n_groups:
            members = groups >= 0
            membership = sp.csr_matrix(
                (np.ones(int(members.sum())), (groups[members], np.flatnonzero(members))),
                shape=(n_groups, data.n_users),
            )
            counts = np.asarray((membership @ x).toarray(), dtype=np.float64)
            totals = np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
            scores = counts / totals + self.smoothing * self.overall[None, :]
        self.group_scores = scores
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        assert self.groups is not None and self.overall is not None, "fit first"
        assert self.group_scores is not None
        users = np.asarray(users, dtype=np.int64)
        groups = self.groups[users]
        out = np.tile(self.overall, (len(users), 1))
        has = groups >= 0
        out[has] = self.group_scores[groups[has]]
        return out

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return penalise_negatives(self.raw_score(users), self.data, users).astype(np.float32)


class PureSVD:
    """Low-rank item factors from a truncated SVD of the (recency-weighted) interactions.

    score(u) = x_u V V^T: a user's items projected onto the ``factors`` strongest co-occurrence
    directions; it generalises from few interactions where neighbour models are sparse.
    """

    name = "svd"

    def __init__(self, factors: int = 16, half_life_days: float | None = None) -> None:
        self.factors = factors
        self.half_life_days = half_life_days
        self.v: np.ndarray | None = None
        self.x: sp.csr_matrix | None = None
        self.data: TrainData | None = None

    def fit(self, data: TrainData) -> PureSVD:
        from scipy.sparse.linalg import svds

        self.data = data
        self.x = user_recency_weights(data, self.half_life_days)
        rank = max(1, min(self.factors, min(data.n_users, data.n_items) - 1))
        if self.x.nnz == 0:
            self.v = np.zeros((data.n_items, rank))
            return self
        start = np.random.default_rng(data.seed).standard_normal(min(self.x.shape))
        _, _, vt = svds(self.x.astype(np.float64), k=rank, v0=start, random_state=data.seed)
        self.v = vt.T
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        assert self.x is not None and self.v is not None, "fit first"
        users = np.asarray(users, dtype=np.int64)
        return np.asarray((self.x[users] @ self.v) @ self.v.T, dtype=np.float64)

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return penalise_negatives(self.raw_score(users), self.data, users).astype(np.float32)
