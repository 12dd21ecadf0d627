"""A generated organisation with planted interest clusters, for testing the recommender.

People have latent preferences over topic clusters (pulled towards their team's cluster),
sessions belong mostly to one cluster (title and abstract drawn from its vocabulary), and every
person declares skills and interests drawn from their preferences. Attendance is sampled from the
true preferences, so the best possible ranking (the oracle: true preference over the same
candidates as every model, attended sessions excluded, dismissed ones last) is known. Cold-start
people have at most two attended sessions in training; a dismissed session is one the person
never attended. Deterministic for a seed; a few hundred people and sessions, evaluated in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from kshare.recommend.engine.base import DAY, TrainData

CLUSTERS = {
    "python": "python django flask asyncio typing packaging pytest pandas notebooks wheel pip",
    "cloud": "kubernetes docker terraform helm cluster containers autoscaling ingress aws azure",
    "data": "warehouse sql dbt etl pipelines spark airflow lakehouse parquet analytics",
    "ml": "neural training embeddings transformers gradient inference classifier pytorch model",
    "security": "threat vulnerability encryption oauth phishing pentest audit secrets firewall",
    "frontend": "react css accessibility browser typescript components htmx layout design",
    "leadership": "mentoring hiring feedback roadmap strategy coaching meetings culture career",
    "finance": "budget forecasting invoices accounting procurement tax revenue billing payroll",
}
GENERIC = [
    "introduction",
    "practical",
    "lessons",
    "learned",
    "deep",
    "dive",
    "overview",
    "workshop",
    "session",
    "team",
    "project",
    "experience",
    "case",
    "study",
    "hands",
    "update",
    "review",
    "tips",
    "future",
]


@dataclass
class SyntheticOrg:
    train: TrainData  # all training interactions (cold-start people: at most two)
    test: list[np.ndarray]  # per person: held-out attended sessions
    preference: np.ndarray  # people x sessions: true attendance propensity
    cold: np.ndarray  # indices of cold-start people
    tune_train: TrainData  # train minus the validation items (for tuning)
    validation: list[np.ndarray]  # per person: validation items held out of tune_train
    cluster_names: list[str]


def _text(rng: np.random.Generator, vocab: list[list[str]], mix: np.ndarray, n: int) -> list[str]:
    clusters = rng.choice(len(vocab), size=n, p=mix)
    return [vocab[c][rng.integers(len(vocab[c]))] for c in clusters]


def generate(
    seed: int = 0,
    n_people: int = 600,
    n_sessions: int = 240,
    n_teams: int = 16,
    cold_share: float = 0.2,
    n_test: int = 5,
    n_validation: int = 5,
) -> SyntheticOrg:
    rng = np.random.default_rng(seed)
    names = list(CLUSTERS)
    vocab = [CLUSTERS[n].split() for n in names]
    n_clusters = len(names)

    team_cluster = np.arange(n_teams) % n_clusters
    team = rng.integers(0, n_teams, size=n_people)
    theta = 0.5 * np.eye(n_clusters)[team_cluster[team]] + 0.5 * rng.dirichlet(
        np.full(n_clusters, 0.3), size=n_people
    )
    primary = np.arange(n_sessions) % n_clusters
    rng.shuffle(primary)
    phi = 0.85 * np.eye(n_clusters)[primary] + 0.15 * rng.dirichlet(
        np.full(n_clusters, 0.5), size=n_sessions
    )
    quality = np.exp(rng.normal(0.0, 0.4, size=n_sessions))
    preference = (theta @ phi.T) * quality[None, :]

    now = 1.8e9
    item_time = now - rng.uniform(0, 365, size=n_sessions) * DAY
    item_text = []
    for i in range(n_sessions):
        title = [
            *_text(rng, vocab, np.eye(n_clusters)[primary[i]], 3),
            GENERIC[rng.integers(len(GENERIC))],
        ]
        abstract = _text(rng, vocab, phi[i], 12) + list(rng.choice(GENERIC, size=6))
        item_text.append(" ".join(title + abstract))
    user_text = []
    for u in range(n_people):
        skills = _text(rng, vocab, theta[u], 6)
        user_text.append(" ".join(skills))

    cold = np.sort(rng.choice(n_people, size=round(cold_share * n_people), replace=False))
    is_cold = np.zeros(n_people, dtype=bool)
    is_cold[cold] = True
    rows, cols, test, validation = [], [], [], []
    for u in range(n_people):
        n_train = int(rng.integers(0, 3)) if is_cold[u] else int(rng.integers(8, 26))
        n_val = 0 if is_cold[u] else n_validation
        p = preference[u] / preference[u].sum()
        # Gumbel top-k: a sample without replacement proportional to p, in random order.
        keys = np.log(p) + rng.gumbel(size=n_sessions)
        chosen = np.argsort(-keys, kind="stable")[: n_train + n_test]
        chosen = rng.permutation(chosen)
        test.append(np.sort(chosen[n_train:]))
        train_items = chosen[:n_train]
        validation.append(np.sort(train_items[:n_val]))
        rows.extend([u] * n_train)
        cols.extend(train_items.tolist())

    shape = (n_people, n_sessions)
    x = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    times = sp.csr_matrix((item_time[np.array(cols, dtype=np.int64)], (rows, cols)), shape=shape)
    # Dismissals: each warm person dismissed one session from their least-liked cluster, one they
    # never attended (neither in training nor held out: a dismissed session is never relevant).
    neg_rows: list[int] = []
    neg_cols: list[int] = []
    for u in np.flatnonzero(~is_cold).tolist():
        candidates = np.flatnonzero(primary == np.argmin(theta[u]))
        attended = x[u, candidates].toarray().ravel() != 0
        candidates = candidates[~attended & ~np.isin(candidates, test[u])]
        if len(candidates):
            neg_rows.append(u)
            neg_cols.append(int(rng.choice(candidates)))
    negatives = sp.csr_matrix(
        (np.ones(len(neg_rows), dtype=np.float32), (neg_rows, neg_cols)), shape=shape
    )

    def data(matrix: sp.csr_matrix, time_matrix: sp.csr_matrix) -> TrainData:
        return TrainData(
            interactions=matrix,
            negatives=negatives,
            item_text=item_text,
            user_text=user_text,
            item_time=item_time,
            interaction_time=time_matrix,
            user_group=team,
            now=now,
            seed=seed,
        )

    val_mask = sp.lil_matrix(shape, dtype=np.float32)
    for u, items in enumerate(validation):
        for i in items:
            val_mask[u, i] = 1.0
    keep = x - x.multiply(val_mask.tocsr())
    keep.eliminate_zeros()
    keep_times = times.multiply(keep).tocsr()
    keep_times.eliminate_zeros()
    return SyntheticOrg(
        train=data(x, times),
        test=test,
        preference=preference,
        cold=cold,
        tune_train=data(keep.tocsr(), keep_times),
        validation=validation,
        cluster_names=names,
    )
