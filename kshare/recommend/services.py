"""Training the recommender and storing what it says: the only writes of the recommend app.

``recommend_train`` loads every signal (``signals.signals_load``), fits the hybrid — popularity
with recency decay, team popularity, TF-IDF content against each person's profile and item-item
collaborative filtering (EASE, ItemKNN above 15k sessions) blended on per-person z-scores — then
stores per person the top upcoming sessions and recordings they may see, with the reason named
by the model that contributed most, and per upcoming session its most similar sessions (for
suggested invitees). Serving reads only these tables (``selectors.py``).

``recommend_train_if_due`` is the clock's idempotent rule: train when there was never a finished
run, when the last one is older than ``KSHARE_RECOMMEND_TRAIN_HOURS`` (default 24), or when a bulk
change marked the results stale (``recommend_mark_stale``); a run started in the last hour by
another worker and still running is left alone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from sklearn.preprocessing import normalize

from kshare.recommend import signals as sig
from kshare.recommend.engine.base import TrainData, top_k
from kshare.recommend.engine.models import (
    EASE,
    NEGATIVE_PENALTY,
    ContentTfidf,
    GroupPopularity,
    Hybrid,
    Popularity,
    PureSVD,
)
from kshare.recommend.models import Recommendation, SimilarSession, TrainingRun, TrainingState

logger = logging.getLogger(__name__)

TOP_N = 8  # stored per person and kind; serving filters and shows fewer
POPULAR_N = 40  # per team and kind, for people who are not in the cache (cold start)
SIMILAR_N = 10
BATCH = 128
HISTORY_MAX = 200  # items of a person's history compared when naming "similar to 'X'"
TITLE_CHARS = 70
ANCHOR_MIN_SIMILARITY = 0.2  # text cosine + co-interaction cosine, to say "similar to 'X'"
RUNNING_FOR_AT_MOST = timedelta(hours=1)
# Blend weights (z-scores per person): content and collaborative carry most, popularity breaks
# ties for people with little history.
WEIGHTS = {"popularity": 0.3, "team-popularity": 0.4, "content": 1.0, "ease": 0.8, "svd": 0.8}
EASE_MAX_ITEMS = 5_000
SVD_FACTORS = 64
TUNE_MIN_USERS = 30
TUNE_USERS = 250
TUNE_GRID = (0.0, 0.25, 0.5, 1.0, 2.0)


def _train_hours() -> float:
    return float(getattr(settings, "KSHARE_RECOMMEND_TRAIN_HOURS", 24))


def _collaborative(n_items: int) -> EASE | PureSVD:
    """EASE while its dense item-item matrices stay small (``EASE_MAX_ITEMS``: two of them,
    float64, about 200 MB at 5,000 items); above, a truncated SVD, whose memory grows with the
    items times ``SVD_FACTORS`` only (ItemKNN's co-occurrence counts grow with the square of
    each person's history: gigabytes at a million signal rows)."""
    if n_items <= EASE_MAX_ITEMS:
        return EASE(lam=500.0, half_life_days=180)
    return PureSVD(factors=SVD_FACTORS, half_life_days=180)


def _hybrid(n_items: int, weights: dict[str, float] | None = None) -> Hybrid:
    return Hybrid(
        [
            Popularity(half_life_days=60),
            GroupPopularity(),
            ContentTfidf(ngram_range=(1, 1)),
            _collaborative(n_items),
        ],
        weights or WEIGHTS,
    )


def recommend_models(data: TrainData | None = None) -> Hybrid:
    """The hybrid the adapter trains, its weights tuned on ``data`` when there is enough of it.

    Tuning: each person's latest 20% of interactions (``evaluate_demo.split_by_time``) is the
    validation set for at most ``TUNE_USERS`` people; ``Hybrid.tune`` searches the weights for
    the best NDCG@10 there. With fewer than ``TUNE_MIN_USERS`` such people the fixed
    ``WEIGHTS`` are kept (a tiny organisation has nothing to tune on)."""
    if data is None:
        return _hybrid(0)
    from kshare.recommend.evaluate_demo import split_by_time

    train, held = split_by_time(data)
    users = np.array([u for u, h in enumerate(held) if len(h)], dtype=np.int64)
    if len(users) < TUNE_MIN_USERS:
        return _hybrid(data.n_items)
    if len(users) > TUNE_USERS:
        users = np.sort(np.random.default_rng(data.seed).choice(users, TUNE_USERS, replace=False))
    tuner = _hybrid(data.n_items)
    weights = tuner.tune(train, held, grid=TUNE_GRID, users=users, rounds=2)
    if not any(weights.values()):
        return _hybrid(data.n_items)
    return _hybrid(data.n_items, weights)


def _parts(model: Hybrid, users: np.ndarray) -> dict[str, np.ndarray]:
    """Each model's weighted, per-person normalised scores for ``users``."""
    return {
        name: model.weights[name] * part
        for name, part in model.normalised(users).items()
        if model.weights[name]
    }


@dataclass
class _Explainer:
    signals: sig.Signals
    content: ContentTfidf
    team: GroupPopularity
    cf: sp.csc_matrix  # users x items, columns L2-normalised (co-interaction cosine)

    def _title(self, item: int) -> str:
        title = self.signals.titles[item]
        return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"

    def _tag_reason(self, user: int, item: int) -> str | None:
        s = self.signals
        tags = s.item_tags[item]
        own = s.user_skills[user]
        skills = [(own[t], s.tag_names.get(t, "")) for t in tags if t in own]
        if skills:
            return f"matches your skill: {max(skills)[1]}"
        interests = sorted(s.tag_names.get(t, "") for t in tags if t in s.user_interests[user])
        if interests:
            return f"matches your interest: {interests[0]}"
        return None

    def _anchor_reasons(self, user: int, items: np.ndarray) -> list[str | None]:
        """For each item, the person's own most similar session, said as what they did."""
        s = self.signals
        history, weights = _row(s.data.interactions, user)
        if not len(history):
            return [None] * len(items)
        if len(history) > HISTORY_MAX:
            history = history[np.argsort(-weights)[:HISTORY_MAX]]
        assert self.content.items is not None
        vectors = self.content.items
        # By text: "similar to 'X'" should read as similar to a person, whichever model ranked it.
        sims = (vectors[items] @ vectors[history].T).toarray()
        sims[:, np.isin(history, items)] = 0  # never "similar to itself"
        out: list[str | None] = []
        kind_of = dict(zip(*(a.tolist() for a in _row(s.evidence, user)), strict=True))
        rating_of = dict(zip(*(a.tolist() for a in _row(s.ratings, user)), strict=True))
        for n in range(len(items)):
            best = int(np.argmax(sims[n]))
            if sims[n, best] < ANCHOR_MIN_SIMILARITY:
                out.append(None)
                continue
            anchor = int(history[best])
            title = self._title(anchor)
            rating = rating_of.get(anchor, 0)
            kind = kind_of.get(anchor, 0)
            if rating >= 4:
                out.append(f"you rated '{title}' {rating}/5")
            elif kind == sig.ATTENDED:
                out.append(f"similar to '{title}' you attended")
            elif kind == sig.STARRED:
                out.append(f"similar to '{title}' you starred")
            elif kind == sig.WATCHED:
                out.append(f"similar to '{title}' you watched")
            elif kind == sig.HOSTED:
                out.append(f"close to '{title}', which you hosted")
            else:
                out.append(f"similar to '{title}' you signed up for")
        return out

    def reasons(self, user: int, items: np.ndarray, parts: dict[str, np.ndarray]) -> list[str]:
        anchors = self._anchor_reasons(user, items)
        groups = self.signals.data.user_group
        group = int(groups[user]) if groups is not None else -1
        team_scores = None
        if group >= 0 and self.team.group_scores is not None and self.team.overall is not None:
            # Without the smoothing share of everyone's counts: the team's own interest only.
            team_scores = self.team.group_scores[group] - self.team.smoothing * self.team.overall
        out = []
        for n, item in enumerate(items):
            dominant = max(parts, key=lambda name: parts[name][n])
            tag = self._tag_reason(user, int(item))
            popular = (
                "popular in your team"
                if team_scores is not None and team_scores[item] > 1e-9
                else "popular right now"
            )
            if dominant == "content":
                reason = tag or anchors[n] or popular
            elif dominant in ("team-popularity", "popularity"):
                reason = popular
            else:
                reason = anchors[n] or tag or popular
            out.append(reason[:200])
        return out


def _row(matrix: sp.csr_matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    """A CSR row's column indices and values, without scipy's (slow) row indexing."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    return matrix.indices[start:end], matrix.data[start:end]


def _allowed(signals: sig.Signals, users: np.ndarray) -> np.ndarray:
    return np.vstack([signals.allowed_for(int(u)) for u in users])


def _similar_rows(
    signals: sig.Signals, content: ContentTfidf, cf: sp.csc_matrix
) -> list[SimilarSession]:
    """Each upcoming session's nearest sessions by text and by who came to both."""
    assert content.items is not None
    upcoming = np.flatnonzero(signals.upcoming)
    rows: list[SimilarSession] = []
    vectors = content.items
    cf_rows = cf.T.tocsr()
    for start in range(0, len(upcoming), 256):
        chunk = upcoming[start : start + 256]
        sims = (vectors[chunk] @ vectors.T).toarray()
        sims += (cf_rows[chunk] @ cf).toarray()
        sims[np.arange(len(chunk)), chunk] = -np.inf
        ids, scores = top_k(sims, SIMILAR_N)
        for n, item in enumerate(chunk):
            for other, score in zip(ids[n], scores[n], strict=True):
                if other >= 0 and score > 0.05:
                    rows.append(
                        SimilarSession(
                            session_id=int(signals.session_ids[item]),
                            other_id=int(signals.session_ids[other]),
                            score=float(score),
                        )
                    )
    return rows


def _popular(signals: sig.Signals, team: GroupPopularity) -> dict[str, dict[str, list[int]]]:
    """Per kind, per team (its pk as text) and for everyone ("all"): the most popular sessions'
    pks, for people the cache does not know yet: sessions open to the team (or to everyone);
    serving checks visibility again anyway."""
    out: dict[str, dict[str, list[int]]] = {}
    overall = team.overall if team.overall is not None else np.zeros(len(signals.session_ids))
    groups = signals.data.user_group
    if groups is None:
        groups = np.full(len(signals.person_ids), -1, dtype=np.int64)
    team_of_group = {
        int(g): int(t) for g, t in zip(groups, signals.user_team, strict=True) if g >= 0
    }
    for kind, mask in (
        (Recommendation.Kind.SESSION, signals.upcoming),
        (Recommendation.Kind.RECORDING, signals.recording),
    ):
        lists: dict[str, list[int]] = {}
        rows = {"all": overall}
        if team.group_scores is not None:
            for group, team_pk in team_of_group.items():
                rows[str(team_pk)] = team.group_scores[group] - team.smoothing * overall
        for key, scores in rows.items():
            open_to = signals.item_open_all if key == "all" else signals.item_teams[int(key)]
            ranked = np.where(mask & open_to & (scores > 1e-9), scores, -np.inf)
            ids, _ = top_k(ranked[None, :], POPULAR_N)
            lists[key] = [int(signals.session_ids[i]) for i in ids[0] if i >= 0]
        out[kind] = lists
    return out


def recommend_compute(
    *, signals: sig.Signals, model: Hybrid | None = None
) -> tuple[list[Recommendation], list[SimilarSession], dict]:
    """Fit the hybrid on ``signals`` and return the rows to store (nothing is written)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    data = signals.data
    if data.n_users == 0 or data.n_items == 0:
        return [], [], {"models": [], "weights": {}, "ranked_people": 0, "timings": {}}
    model = model or recommend_models(data)
    timings["tune"] = time.perf_counter() - started
    started = time.perf_counter()
    model.fit(data)
    timings["fit"] = time.perf_counter() - started
    by_name = {m.name: m for m in model.models}
    content = by_name["content"]
    team = by_name["team-popularity"]
    cf = sp.csc_matrix(normalize(sp.csc_matrix(data.interactions, dtype=np.float32), axis=0))
    explainer = _Explainer(signals=signals, content=content, team=team, cf=cf)

    # Who gets a stored feed: people with any signal or any text (the rest are served cold).
    active = np.flatnonzero(
        (np.diff(data.interactions.indptr) > 0)
        | np.array([bool(t.strip()) for t in (data.user_text or [""] * data.n_users)])
    )
    seen = (data.interactions + data.negatives + signals.hosted.astype(np.float32)).tocsr()
    recs: list[Recommendation] = []
    started = time.perf_counter()
    kinds = (
        (Recommendation.Kind.SESSION, signals.upcoming),
        (Recommendation.Kind.RECORDING, signals.recording),
    )
    for begin in range(0, len(active), BATCH):
        users = active[begin : begin + BATCH]
        parts = _parts(model, users)
        total = np.sum(list(parts.values()), axis=0)
        allowed = _allowed(signals, users)
        chosen: dict[str, list[np.ndarray]] = {}
        for kind, mask in kinds:
            masked = np.where(allowed & mask[None, :], total, -np.inf)
            ids, scores = top_k(masked, TOP_N, exclude=seen[users])
            chosen[kind] = [
                ids[row][(ids[row] >= 0) & (scores[row] > -NEGATIVE_PENALTY / 2)]
                for row in range(len(users))
            ]
        for row, user in enumerate(users):
            # One explanation pass per person for both lists.
            items = np.concatenate([chosen[kind][row] for kind, _ in kinds])
            if not len(items):
                continue
            reasons = iter(
                explainer.reasons(
                    int(user), items, {name: part[row, items] for name, part in parts.items()}
                )
            )
            person_id = int(signals.person_ids[user])
            for kind, _ in kinds:
                for rank, item in enumerate(chosen[kind][row], 1):
                    recs.append(
                        Recommendation(
                            person_id=person_id,
                            kind=kind,
                            rank=rank,
                            session_id=int(signals.session_ids[item]),
                            score=float(total[row, item]),
                            reason=next(reasons),
                        )
                    )
    timings["rank"] = time.perf_counter() - started
    started = time.perf_counter()
    similar = _similar_rows(signals, content, cf)
    timings["similar"] = time.perf_counter() - started
    details = {
        "popular": _popular(signals, team),
        "models": list(by_name),
        "weights": dict(model.weights),
        "ranked_people": len(active),
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    return recs, similar, details


def recommend_train(*, reason: str = "manual", now: datetime | None = None) -> TrainingRun:
    """Retrain and replace every stored recommendation; returns the finished ``TrainingRun``.

    A failure is recorded on the run (status *failed*, the error) and re-raised; the previous
    results stay in place because the replacement is one transaction."""
    run = TrainingRun.objects.create(reason=reason[:100])
    began = time.perf_counter()
    started_at = timezone.now()
    try:
        load_started = time.perf_counter()
        signals = sig.signals_load(now=now)
        load_seconds = time.perf_counter() - load_started
        recs, similar, details = recommend_compute(signals=signals)
        details["timings"]["load"] = round(load_seconds, 3)
        details["counts"] = signals.counts
        store_started = time.perf_counter()
        with transaction.atomic():
            Recommendation.objects.all().delete()
            Recommendation.objects.bulk_create(recs, batch_size=2_000)
            SimilarSession.objects.all().delete()
            SimilarSession.objects.bulk_create(similar, batch_size=2_000)
            TrainingState.objects.filter(stale_since__lte=started_at).update(
                stale_since=None, stale_reason=""
            )
        details["timings"]["store"] = round(time.perf_counter() - store_started, 3)
    except Exception as exc:
        TrainingRun.objects.filter(pk=run.pk).update(
            status=TrainingRun.Status.FAILED,
            finished_at=timezone.now(),
            seconds=time.perf_counter() - began,
            error=repr(exc)[:5000],
        )
        raise
    run.status = TrainingRun.Status.DONE
    run.finished_at = timezone.now()
    run.people = signals.counts["people"]
    run.items = signals.counts["sessions"]
    run.interactions = signals.counts["interactions"]
    run.recommendations = len(recs)
    run.seconds = time.perf_counter() - began
    run.details = details
    run.save()
    logger.info("Recommender trained in %.1f s: %s", run.seconds, details["timings"])
    return run


def recommend_mark_stale(*, reason: str) -> None:
    """Say that something changed in bulk: the clock's next tick retrains."""
    updated = TrainingState.objects.filter(stale_since__isnull=True).update(
        stale_since=timezone.now(), stale_reason=reason[:100]
    )
    if not updated and not TrainingState.objects.exists():
        TrainingState.objects.create(stale_since=timezone.now(), stale_reason=reason[:100])


def recommend_training_due(*, now: datetime | None = None) -> str | None:
    """Why a training is due now (``None`` when it is not)."""
    now = now or timezone.now()
    if TrainingRun.objects.filter(
        status=TrainingRun.Status.RUNNING, started_at__gt=now - RUNNING_FOR_AT_MOST
    ).exists():
        return None
    last = (
        TrainingRun.objects.filter(status=TrainingRun.Status.DONE).order_by("-started_at").first()
    )
    if last is None:
        return "first run"
    if TrainingState.objects.filter(stale_since__isnull=False).exists():
        return "marked stale"
    if last.started_at < now - timedelta(hours=_train_hours()):
        return "nightly"
    return None


def recommend_train_if_due(*, now: datetime | None = None) -> TrainingRun | None:
    """The clock's rule (see the module): train when due, else do nothing."""
    reason = recommend_training_due(now=now)
    if reason is None:
        return None
    return recommend_train(reason=reason)
