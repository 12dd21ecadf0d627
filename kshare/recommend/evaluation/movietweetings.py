"""MovieTweetings-100k: loading, the iterative 5-core and the per-user temporal split.

Protocol (see ``shared/data/README.md``): every rating is an interaction; iterative 5-core on users
and items; per user the last 20% of interactions by time (rounded, at least 1; ties by item id)
are the test set; hyper-parameters are chosen on the same split applied once more to the training
part; full ranking over all training items, seen items excluded; metrics at 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from kshare.recommend.engine.base import TrainData


class DatasetMissing(FileNotFoundError):
    """The data set's files are not where they are expected."""


@dataclass
class Ratings:
    user: np.ndarray  # original user ids (int64)
    item: np.ndarray  # original item ids (int64)
    rating: np.ndarray  # float32, 0..10
    time: np.ndarray  # float64 unix seconds

    def __len__(self) -> int:
        return len(self.user)

    def subset(self, mask: np.ndarray) -> Ratings:
        return Ratings(self.user[mask], self.item[mask], self.rating[mask], self.time[mask])


def load_ratings(directory: Path | str) -> Ratings:
    path = Path(directory) / "ratings.dat"
    if not path.is_file():
        raise DatasetMissing(f"MovieTweetings ratings not found: expected {path}.")
    users, items, ratings, times = [], [], [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("::")
            if len(parts) != 4:
                continue
            users.append(int(parts[0]))
            items.append(int(parts[1]))
            ratings.append(float(parts[2]))
            times.append(float(parts[3]))
    return Ratings(
        np.array(users, dtype=np.int64),
        np.array(items, dtype=np.int64),
        np.array(ratings, dtype=np.float32),
        np.array(times, dtype=np.float64),
    )


def k_core(ratings: Ratings, k: int = 5) -> Ratings:
    """Drop users and items with fewer than k interactions until none is left."""
    current = ratings
    while True:
        _, user_inv, user_counts = np.unique(current.user, return_inverse=True, return_counts=True)
        _, item_inv, item_counts = np.unique(current.item, return_inverse=True, return_counts=True)
        keep = (user_counts[user_inv] >= k) & (item_counts[item_inv] >= k)
        if keep.all():
            return current
        current = current.subset(keep)


def temporal_split(
    user: np.ndarray, item: np.ndarray, time: np.ndarray, share: float = 0.2
) -> np.ndarray:
    """A boolean mask of test rows: each user's last ``share`` (rounded, at least 1) by time.

    Ties in time are broken by item id (the larger id counts as later).
    """
    order = np.lexsort((item, time, user))
    test = np.zeros(len(user), dtype=bool)
    sorted_users = user[order]
    starts = np.flatnonzero(np.r_[True, sorted_users[1:] != sorted_users[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends, strict=True):
        n = end - start
        n_test = max(1, round(share * n))
        test[order[end - n_test : end]] = True
    return test


@dataclass
class Split:
    """A train matrix over (users, items) indices and held-out item lists per user."""

    train: TrainData
    test: list[np.ndarray]  # per user: held-out item indices (only items known in train)
    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def test_users(self) -> np.ndarray:
        return np.array([u for u, items in enumerate(self.test) if len(items)], dtype=np.int64)


def build_split(ratings: Ratings, test_mask: np.ndarray, rating_negatives: bool = False) -> Split:
    """Index users and items of the training rows; map test rows onto them (unknown dropped)."""
    train = ratings.subset(~test_mask)
    test = ratings.subset(test_mask)
    user_ids = np.unique(ratings.user)
    item_ids = np.unique(train.item)
    u = np.searchsorted(user_ids, train.user)
    i = np.searchsorted(item_ids, train.item)
    first_seen = np.full(len(item_ids), np.inf)
    np.minimum.at(first_seen, i, train.time)
    # One interaction per (user, item): a repeated rating keeps the latest.
    order = np.lexsort((train.time, i, u))
    last = np.r_[(u[order][1:] != u[order][:-1]) | (i[order][1:] != i[order][:-1]), True]
    keep = order[last]
    u, i, when, rating = u[keep], i[keep], train.time[keep], train.rating[keep]
    shape = (len(user_ids), len(item_ids))
    x = sp.csr_matrix((np.ones(len(u), dtype=np.float32), (u, i)), shape=shape)
    times = sp.csr_matrix((when, (u, i)), shape=shape)
    # +1 so that ratings of 0 survive as stored entries.
    rates = sp.csr_matrix((rating.astype(np.float64) + 1.0, (u, i)), shape=shape)
    negatives = None
    if rating_negatives:
        neg = rates.copy()
        neg.data = (neg.data - 1.0 <= 2).astype(np.float32)
        neg.eliminate_zeros()
        negatives = neg
    data = TrainData(
        interactions=x,
        interaction_time=times,
        item_time=first_seen,
        negatives=negatives,
        now=float(train.time.max()),
    )
    held: list[list[int]] = [[] for _ in range(len(user_ids))]
    tu = np.searchsorted(user_ids, test.user)
    known = np.isin(test.item, item_ids)
    ti = np.searchsorted(item_ids, test.item)
    for uu, ii, ok in zip(tu, ti, known, strict=True):
        if ok:
            held[uu].append(int(ii))
    return Split(
        train=data,
        test=[np.array(sorted(set(h)), dtype=np.int64) for h in held],
        user_ids=user_ids,
        item_ids=item_ids,
    )


@dataclass
class Protocol:
    ratings: Ratings  # the 5-core
    test_split: Split  # train = first 80%, test = last 20%
    validation_split: Split  # the same split applied to the training part


def prepare(directory: Path | str) -> Protocol:
    core = k_core(load_ratings(directory), 5)
    test_mask = temporal_split(core.user, core.item, core.time)
    train = core.subset(~test_mask)
    val_mask = temporal_split(train.user, train.item, train.time)
    return Protocol(
        ratings=core,
        test_split=build_split(core, test_mask),
        validation_split=build_split(train, val_mask),
    )
