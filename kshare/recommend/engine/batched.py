"""Batched variants for a full retrain: the same answers as ``base.top_k`` and the models' own
methods, computed for thousands of people in blocks.

- ``top_k_rows``: the k best per row of a dense block whose excluded items are ``-inf``;
- ``content_scores``: ``ContentTfidf.raw_score`` as a sparse x dense product;
- ``CachedContentTfidf``: ``ContentTfidf`` whose text vectors (vocabulary, item and person
  TF-IDF) are computed once and shared by every fit on the same texts (the tuning fit on a split
  and the final fit on everything), and whose ``raw_score`` is ``content_scores``.

Pure numpy/scipy/scikit-learn, like the rest of the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .base import TrainData
from .models import ContentTfidf, user_recency_weights


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``base.top_k`` for a block of rows whose excluded items are already ``-inf``.

    ``k`` passes of a row-wise argmax: for a small ``k`` several times faster than a partition
    over thousands of items, and the same answer: best first, ties to the lower item index,
    ``-inf`` never returned (padded with item -1 and score ``-inf``), scores as float32.
    """
    work = np.array(scores, dtype=np.float64, copy=True, order="C", ndmin=2)  # rows contiguous
    n_rows, n_items = work.shape
    k = max(0, min(int(k), n_items))
    ids = np.full((n_rows, k), -1, dtype=np.int64)
    out = np.full((n_rows, k), -np.inf, dtype=np.float64)
    rows = np.arange(n_rows)
    for rank in range(k):
        best = work.argmax(axis=1)
        value = work[rows, best]
        found = value > -np.inf
        if not found.any():
            break
        ids[found, rank] = best[found]
        out[found, rank] = value[found]
        work[rows, best] = -np.inf
    return ids, out.astype(np.float32)


def content_scores(model: ContentTfidf, users: np.ndarray) -> np.ndarray:
    """``model.raw_score(users)`` as items x dense profiles.

    A profile sums the words of many sessions, so it is nearly dense: the sparse x sparse
    product builds a huge sparse result, the sparse x dense one is a plain loop over the items'
    words (float32 sums in another order: equal up to the last bits).
    """
    assert model.items is not None and model.profiles is not None, "fit first"
    users = np.asarray(users, dtype=np.int64)
    profiles = model.profiles[users].toarray()
    return np.ascontiguousarray((model.items @ profiles.T).T, dtype=np.float64)


class TextCache:
    """The TF-IDF of one pair of text lists (items, people), kept while those lists are the
    same objects: splits of one ``TrainData`` share them."""

    def __init__(self) -> None:
        self.key: tuple[Any, ...] | None = None
        self.texts: tuple[list[str] | None, list[str] | None] = (None, None)
        self.value: tuple[Any, sp.csr_matrix, sp.csr_matrix] | None = None

    def get(
        self, data: TrainData, params: tuple[Any, ...]
    ) -> tuple[Any, sp.csr_matrix, sp.csr_matrix] | None:
        if self.value is None or self.key != params:
            return None
        if self.texts[0] is not data.item_text or self.texts[1] is not data.user_text:
            return None
        return self.value

    def put(self, data: TrainData, params: tuple[Any, ...], value: tuple[Any, Any, Any]) -> None:
        self.key, self.texts, self.value = params, (data.item_text, data.user_text), value


class CachedContentTfidf(ContentTfidf):
    """``ContentTfidf`` with the text vectorised once per ``TextCache`` (one ``fit_transform``
    over items and people instead of a fit and two transforms per fit) and batched scores.

    The same vectors and profiles as ``ContentTfidf.fit`` (a test compares them)."""

    def __init__(self, *args: Any, cache: TextCache | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache = cache if cache is not None else TextCache()

    def _params(self) -> tuple[Any, ...]:
        return (self.ngram_range, self.min_df, self.max_features)

    def fit(self, data: TrainData) -> CachedContentTfidf:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        cached = self.cache.get(data, self._params())
        if cached is None:
            item_text = [t or "" for t in (data.item_text or [""] * data.n_items)]
            user_text = [t or "" for t in (data.user_text or [""] * data.n_users)]
            vectorizer = TfidfVectorizer(
                sublinear_tf=True,
                stop_words="english",
                ngram_range=self.ngram_range,
                min_df=self.min_df,
                max_features=self.max_features,
                dtype=np.float32,
            )
            try:
                both = vectorizer.fit_transform(item_text + user_text).tocsr()
            except ValueError:  # no text at all: ContentTfidf's own answer (every score 0)
                super().fit(data)
                return self
            items = normalize(both[: len(item_text)]).astype(np.float32)
            users = normalize(both[len(item_text) :]).astype(np.float32)
            cached = (vectorizer, items, users)
            self.cache.put(data, self._params(), cached)
        self.data = data
        self.vectorizer, self.items, users = cached
        x = user_recency_weights(data, self.half_life_days)
        history = normalize(x @ self.items)
        self.profiles = normalize(history + self.user_weight * users).tocsr()
        return self

    def raw_score(self, users: np.ndarray) -> np.ndarray:
        return content_scores(self, users)
