"""``kshare recommend evaluate --dataset demo``: the models on whatever the current database holds.

Protocol: every positive signal the trainer uses (``signals.signals_load``: attendance, yes
RSVPs, stars, watched recordings, good ratings, hosting) is an interaction at its latest time.
People with at least ``MIN_INTERACTIONS`` interactions have their last 20% by time (at least 1,
ties by session id) held out as the test set; everything else, their text (skills, interests)
and every other person's history is the training data. Full ranking over all sessions, what a
person interacted with in training excluded; metrics @10 over at most ``MAX_TEST_USERS`` test
people (a seeded sample, so a 5,000-person demo evaluates in seconds). Same result shape as the
other data sets.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from kshare.recommend.engine.base import TrainData
from kshare.recommend.engine.models import (
    EASE,
    ContentTfidf,
    GroupPopularity,
    ItemKNN,
    Popularity,
    PureSVD,
)
from kshare.recommend.engine.split import MIN_INTERACTIONS, TEST_SHARE, split_by_time
from kshare.recommend.evaluation.evaluate import K, measure
from kshare.recommend.services import EASE_MAX_ITEMS, SVD_FACTORS, recommend_models
from kshare.recommend.signals import signals_load

MAX_TEST_USERS = 1000
SEED = 0
ITEMKNN_MAX_PAIRS = 30_000_000


def _models(train: TrainData) -> tuple[dict[str, object], dict[str, float]]:
    hybrid = recommend_models(train)  # weights tuned on a split of the training part
    counts = np.diff(sp.csr_matrix(train.interactions).indptr).astype(np.float64)
    models: dict[str, object] = {
        "popularity": Popularity(),
        "popularity-recent": Popularity(half_life_days=60),
        "team-popularity": GroupPopularity(),
        "content": ContentTfidf(ngram_range=(1, 1)),
        "svd": PureSVD(factors=SVD_FACTORS),
    }
    # Item-item models only where their memory stays reasonable: ItemKNN's co-occurrences grow
    # with the square of each person's history, EASE's dense matrices with the items squared.
    if float((counts**2).sum()) <= ITEMKNN_MAX_PAIRS:
        models["itemknn"] = ItemKNN(k=200)
    if train.n_items <= EASE_MAX_ITEMS:
        models["ease"] = EASE(lam=500.0)
    models["kshare-hybrid"] = hybrid
    return models, dict(hybrid.weights)


def evaluate_signals(data: TrainData, *, max_users: int = MAX_TEST_USERS) -> dict:
    """The demo protocol on any ``TrainData`` (the tests use a hand-made one)."""
    started = time.perf_counter()
    train, held = split_by_time(data)
    users = np.array([u for u, h in enumerate(held) if len(h)], dtype=np.int64)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(SEED).choice(users, size=max_users, replace=False))
    results: dict[str, dict[str, float]] = {}
    weights: dict[str, float] = {}
    if len(users):
        models, weights = _models(train)
        for name, model in models.items():
            results[name] = {
                k: round(float(v), 4) for k, v in measure(model, train, held, users).items()
            }
    return {
        "dataset": "demo",
        "protocol": (
            "the current database's positive signals (attendance, yes RSVPs, stars, watched "
            f"recordings, ratings 4-5, hosting); people with >= {MIN_INTERACTIONS} interactions "
            f"have their latest {int(TEST_SHARE * 100)}% by time held out (at least 1, ties by "
            "session id); full ranking over all sessions, training interactions excluded; "
            f"metrics @{K} over at most {max_users} test people (seeded sample)"
        ),
        "counts": {
            "people": data.n_users,
            "sessions": data.n_items,
            "interactions": int(data.interactions.nnz),
            "test_users": len(users),
        },
        "parameters": {"kshare-hybrid": weights},
        "best": max(results, key=lambda n: results[n][f"ndcg@{K}"]) if results else None,
        "results": results,
        "seconds": time.perf_counter() - started,
    }


def evaluate_demo() -> dict:
    """Evaluate every model and baseline on the current database (see the module)."""
    return evaluate_signals(signals_load().data)
