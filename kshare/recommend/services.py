"""Training the recommender and storing what it says: the only writes of the recommend app.

``recommend_train`` loads every signal (``signals.signals_load``), fits the hybrid — popularity
with recency decay, team popularity, TF-IDF content against each person's profile and item-item
collaborative filtering (EASE up to 5,000 sessions, a truncated SVD above) blended on per-person
z-scores, weights tuned on a split — then
stores per person the top upcoming sessions and recordings they may see, with the reason named
by the model that contributed most, and per upcoming session its most similar sessions (for
suggested invitees). Serving reads only these tables (``selectors.py``).

A full retrain of the 5,000-person demo (a million signal rows) takes about 10 s of CPU
(``bench/bench_recommend.py``): signals arrive as numbers (``signals.py``), people are ranked
in batches (``engine.batched``: content as items x dense profiles, top-k by argmax passes over
each kind's sessions, "similar to 'X'" only where it can be the reason), the text is vectorised
once for the tuning and the final fit, models the tuning switched off are not refitted, and the
rows go in without model instances (COPY on PostgreSQL).

``recommend_train_if_due`` is the clock's idempotent rule: train when there was never a finished
run, when the last one is older than ``KSHARE_RECOMMEND_TRAIN_HOURS`` (default 24), or when a bulk
change marked the results stale (``recommend_mark_stale``); a run started in the last hour by
another worker and still running is left alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from sklearn.preprocessing import normalize

from kshare.recommend import reasons as reason_texts
from kshare.recommend import signals as sig
from kshare.recommend.engine.base import TrainData, top_k
from kshare.recommend.engine.batched import (
    CachedContentTfidf,
    TextCache,
    content_scores,
    top_k_rows,
)
from kshare.recommend.engine.models import (
    EASE,
    NEGATIVE_PENALTY,
    ContentTfidf,
    GroupPopularity,
    Hybrid,
    Popularity,
    PureSVD,
    _raw,
    log_scale,
    normalise_rows,
)
from kshare.recommend.engine.split import split_by_time
from kshare.recommend.models import Recommendation, SimilarSession, TrainingRun, TrainingState

logger = logging.getLogger(__name__)

TOP_N = 8  # stored per person and kind; serving filters and shows fewer
POPULAR_N = 40  # per team and kind, for people who are not in the cache (cold start)
SIMILAR_N = 10
BATCH = 256  # people ranked together: a few (BATCH x sessions) float64 blocks in memory
SIMILAR_BATCH = 512
# Item text vectors are kept dense (float32) for the explanations when sessions x words is at
# most this (80 MB); above, the sparse vectors are used (slower, same answer).
DENSE_TEXT_CELLS = 20_000_000
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


def _hybrid(
    n_items: int, weights: dict[str, float] | None = None, text: TextCache | None = None
) -> Hybrid:
    """``text``: the TF-IDF of the texts, shared by the hybrids fitted on splits of one data set
    (``ContentTfidf``'s numbers, vectorised once)."""
    return Hybrid(
        [
            Popularity(half_life_days=60),
            GroupPopularity(),
            CachedContentTfidf(ngram_range=(1, 1), cache=text),
            _collaborative(n_items),
        ],
        weights or WEIGHTS,
    )


def recommend_models(data: TrainData | None = None) -> Hybrid:
    """The hybrid the adapter trains, its weights tuned on ``data`` when there is enough of it.

    Tuning: each person's latest 20% of interactions (``engine.split.split_by_time``) is the
    validation set for at most ``TUNE_USERS`` people; ``Hybrid.tune`` searches the weights for
    the best NDCG@10 there. With fewer than ``TUNE_MIN_USERS`` such people the fixed
    ``WEIGHTS`` are kept (a tiny organisation has nothing to tune on)."""
    if data is None:
        return _hybrid(0)
    text = TextCache()  # the split keeps the texts: one TF-IDF for the tuning and the final fit
    train, held = split_by_time(data)
    users = np.array([u for u, h in enumerate(held) if len(h)], dtype=np.int64)
    if len(users) < TUNE_MIN_USERS:
        return _hybrid(data.n_items, text=text)
    if len(users) > TUNE_USERS:
        users = np.sort(np.random.default_rng(data.seed).choice(users, TUNE_USERS, replace=False))
    tuner = _hybrid(data.n_items, text=text)
    weights = tuner.tune(train, held, grid=TUNE_GRID, users=users, rounds=2)
    if not any(weights.values()):
        return _hybrid(data.n_items, text=text)
    return _hybrid(data.n_items, weights, text=text)


def _raw_scores(model: object, users: np.ndarray) -> np.ndarray:
    """A model's raw scores for ``users``; TF-IDF content through ``content_scores`` (the same
    numbers as its ``raw_score``, many times faster on whole batches of people)."""
    if type(model) in (ContentTfidf, CachedContentTfidf):
        return content_scores(model, users)  # type: ignore[arg-type]
    return _raw(model, users)


def _parts(model: Hybrid, users: np.ndarray) -> dict[str, np.ndarray]:
    """Each model's weighted, per-person normalised scores for ``users`` (``Hybrid.normalised``
    times the weight), for the models whose weight is not 0 only."""
    users = np.asarray(users, dtype=np.int64)
    log_scaled: Collection[str] = getattr(model, "log_scaled", frozenset())
    parts = {}
    for m in model.models:
        weight = model.weights[m.name]
        if not weight:
            continue
        raw = _raw_scores(m, users)
        parts[m.name] = weight * normalise_rows(log_scale(raw) if m.name in log_scaled else raw)
    return parts


@dataclass
class _Explainer:
    signals: sig.Signals
    content: ContentTfidf
    team: GroupPopularity
    cf: sp.csc_matrix  # users x items, columns L2-normalised (co-interaction cosine)
    dense: np.ndarray | None = None  # the items' text vectors, dense when small enough

    def __post_init__(self) -> None:
        self._marks = np.zeros(len(self.signals.session_ids), dtype=bool)  # scratch, per item
        self._teams: dict[int, np.ndarray] = {}

    def _title(self, item: int) -> str:
        title = self.signals.titles[item]
        return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"

    def _tag_reason(self, user: int, item: int) -> str | None:
        s = self.signals
        tags = s.item_tags[item]
        own = s.user_skills[user]
        skills = [(own[t], s.tag_names.get(t, "")) for t in tags if t in own]
        if skills:
            return reason_texts.reason_stored(reason_texts.SKILL, name=max(skills)[1])
        interests = sorted(s.tag_names.get(t, "") for t in tags if t in s.user_interests[user])
        if interests:
            return reason_texts.reason_stored(reason_texts.INTEREST, name=interests[0])
        return None

    def _anchor_reasons(self, user: int, items: np.ndarray, wanted: list[int]) -> list[str | None]:
        """For each item of ``items[wanted]``, the person's own most similar session (never one
        of ``items``), said as what they did."""
        s = self.signals
        history, weights = _row(s.data.interactions, user)
        if not len(history):
            return [None] * len(wanted)
        if len(history) > HISTORY_MAX:
            history = history[np.argsort(-weights)[:HISTORY_MAX]]
        assert self.content.items is not None
        targets = items[wanted]
        # By text: "similar to 'X'" should read as similar to a person, whichever model ranked it.
        if self.dense is not None:
            sims = self.dense[targets] @ self.dense[history].T
        else:
            vectors = self.content.items
            sims = (vectors[targets] @ vectors[history].T).toarray()
        marks = self._marks
        marks[items] = True
        sims[:, marks[history]] = 0  # never "similar to itself"
        marks[items] = False
        out: list[str | None] = []
        kind_of = dict(zip(*(a.tolist() for a in _row(s.evidence, user)), strict=True))
        rating_of = dict(zip(*(a.tolist() for a in _row(s.ratings, user)), strict=True))
        bests = sims.argmax(axis=1)
        values = sims[np.arange(len(targets)), bests].tolist()
        anchors = history[bests].tolist()
        for n in range(len(targets)):
            if values[n] < ANCHOR_MIN_SIMILARITY:
                out.append(None)
                continue
            anchor = anchors[n]
            title = self._title(anchor)
            rating = rating_of.get(anchor, 0)
            kind = kind_of.get(anchor, 0)
            if rating >= 4:
                out.append(
                    reason_texts.reason_stored(reason_texts.RATED, title=title, rating=rating)
                )
            elif kind == sig.ATTENDED:
                out.append(reason_texts.reason_stored(reason_texts.ATTENDED, title=title))
            elif kind == sig.STARRED:
                out.append(reason_texts.reason_stored(reason_texts.STARRED, title=title))
            elif kind == sig.WATCHED:
                out.append(reason_texts.reason_stored(reason_texts.WATCHED, title=title))
            elif kind == sig.HOSTED:
                out.append(reason_texts.reason_stored(reason_texts.HOSTED, title=title))
            else:
                out.append(reason_texts.reason_stored(reason_texts.SIGNED_UP, title=title))
        return out

    def _team_scores(self, user: int) -> np.ndarray | None:
        """The person's team's own interest per item (without the smoothing share of
        everyone's counts); ``None`` without a team. Computed once per team."""
        groups = self.signals.data.user_group
        group = int(groups[user]) if groups is not None else -1
        if group < 0 or self.team.group_scores is None or self.team.overall is None:
            return None
        if group not in self._teams:
            self._teams[group] = (
                self.team.group_scores[group] - self.team.smoothing * self.team.overall
            )
        return self._teams[group]

    def reasons(self, user: int, items: np.ndarray, parts: dict[str, np.ndarray]) -> list[str]:
        team_scores = self._team_scores(user)
        names = list(parts)
        # The first model with the largest contribution (as max() over the names would say).
        strongest = np.vstack([parts[name] for name in names]).argmax(axis=0)
        dominants = [names[int(n)] for n in strongest]
        tags = [self._tag_reason(user, int(item)) for item in items]
        # "Similar to 'X'" only where it can be the reason: the collaborative models lead, or
        # the content model leads and no skill or interest says it.
        wanted = [
            n
            for n, dominant in enumerate(dominants)
            if dominant not in ("team-popularity", "popularity")
            and not (dominant == "content" and tags[n])
        ]
        anchors: list[str | None] = [None] * len(items)
        if wanted:
            for n, anchor in zip(wanted, self._anchor_reasons(user, items, wanted), strict=True):
                anchors[n] = anchor
        out = []
        for n, item in enumerate(items):
            dominant, tag = dominants[n], tags[n]
            popular = (
                reason_texts.POPULAR_IN_TEAM
                if team_scores is not None and team_scores[item] > 1e-9
                else reason_texts.POPULAR
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


def _dense_text(content: ContentTfidf) -> np.ndarray | None:
    """The items' text vectors as a dense float32 array, when that is small."""
    items = content.items
    if items is None or items.shape[0] * items.shape[1] > DENSE_TEXT_CELLS:
        return None
    return items.toarray()


def _similar_rows(
    signals: sig.Signals, content: ContentTfidf, cf: sp.csc_matrix
) -> list[tuple[int, int, float]]:
    """Each upcoming session's nearest sessions by text and by who came to both:
    (session pk, other pk, score) rows."""
    assert content.items is not None
    upcoming = np.flatnonzero(signals.upcoming)
    rows: list[tuple[int, int, float]] = []
    vectors = content.items
    cf_rows = cf.T.tocsr()
    session_ids = signals.session_ids
    for start in range(0, len(upcoming), SIMILAR_BATCH):
        chunk = upcoming[start : start + SIMILAR_BATCH]
        # Text: all items x the chunk's vectors, dense (sparse x dense is the fast product).
        sims = np.ascontiguousarray((vectors @ vectors[chunk].T.toarray()).T)
        sims += (cf_rows[chunk] @ cf).toarray()
        sims[np.arange(len(chunk)), chunk] = -np.inf
        ids, scores = top_k_rows(sims, SIMILAR_N)
        keep = (ids >= 0) & (scores > 0.05)
        row_of, rank_of = np.nonzero(keep)
        rows.extend(
            zip(
                session_ids[chunk[row_of]].tolist(),
                session_ids[ids[row_of, rank_of]].tolist(),
                scores[row_of, rank_of].astype(np.float64).tolist(),
                strict=True,
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


# Fitted whatever their weight: the explanations, similar sessions and cold-start lists use them.
ALWAYS_FITTED = ("content", "team-popularity")


def _fit(model: Hybrid, data: TrainData) -> None:
    """``model.fit(data)`` without the models whose weight is 0 (tuning can switch a model off;
    it then adds nothing to any score), except ``ALWAYS_FITTED``."""
    model.data = data
    for m in model.models:
        if model.weights[m.name] or m.name in ALWAYS_FITTED:
            m.fit(data)


# A stored recommendation: (person pk, kind, rank, session pk, score, reason).
RecommendationRow = tuple[int, str, int, int, float, str]
RECOMMENDATION_FIELDS = ("person_id", "kind", "rank", "session_id", "score", "reason")
# A stored similar session: (session pk, other session pk, score).
SimilarRow = tuple[int, int, float]
SIMILAR_FIELDS = ("session_id", "other_id", "score")


def _rank(
    model: Hybrid, signals: sig.Signals, explainer: _Explainer, active: np.ndarray
) -> list[RecommendationRow]:
    """Per person of ``active``: the ``TOP_N`` best upcoming sessions and recordings they may
    see and have not seen (attended, answered, dismissed, hosted...), each with its reason.

    People go in batches of ``BATCH``: one dense block of blended scores per batch, each kind's
    sessions taken out of it as columns, the invisible and seen ones set to ``-inf``, the best
    found by ``top_k_rows`` (ties: the lower session index, as ``top_k``)."""
    data = signals.data
    seen = (data.interactions + data.negatives + signals.hosted.astype(np.float32)).tocsr()
    kinds = []
    for kind, mask in (
        (Recommendation.Kind.SESSION, signals.upcoming),
        (Recommendation.Kind.RECORDING, signals.recording),
    ):
        columns = np.flatnonzero(mask)
        local = np.full(data.n_items, -1, dtype=np.int64)
        local[columns] = np.arange(len(columns))
        kinds.append((str(kind), columns, local))
    person_ids = signals.person_ids.tolist()
    session_ids = signals.session_ids
    rows: list[RecommendationRow] = []
    for begin in range(0, len(active), BATCH):
        users = active[begin : begin + BATCH]
        parts = _parts(model, users)
        total = np.zeros((len(users), data.n_items), dtype=np.float64)
        for part in parts.values():
            total += part
        allowed = _allowed(signals, users)
        batch_seen = seen[users]
        seen_rows = np.repeat(np.arange(len(users)), np.diff(batch_seen.indptr))
        chosen = []
        for _, columns, local in kinds:
            block = np.take(total, columns, axis=1)
            block[~allowed[:, columns]] = -np.inf
            at = local[batch_seen.indices]
            block[seen_rows[at >= 0], at[at >= 0]] = -np.inf
            ids, scores = top_k_rows(block, TOP_N)
            keep = (ids >= 0) & (scores > -NEGATIVE_PENALTY / 2)
            chosen.append([columns[ids[row][keep[row]]] for row in range(len(users))])
        for row, user in enumerate(users):
            # One explanation pass per person for both lists.
            items = np.concatenate([lists[row] for lists in chosen])
            if not len(items):
                continue
            reasons = iter(
                explainer.reasons(
                    int(user), items, {name: part[row, items] for name, part in parts.items()}
                )
            )
            person_id = person_ids[user]
            for (kind_name, _, _), lists in zip(kinds, chosen, strict=True):
                picked = lists[row]
                for rank, (session_id, score) in enumerate(
                    zip(session_ids[picked].tolist(), total[row, picked].tolist(), strict=True),
                    1,
                ):
                    rows.append((person_id, kind_name, rank, session_id, score, next(reasons)))
    return rows


def recommend_compute(
    *, signals: sig.Signals, model: Hybrid | None = None
) -> tuple[list[RecommendationRow], list[SimilarRow], dict]:
    """Fit the hybrid on ``signals`` and return the rows to store (nothing is written):
    recommendations as ``RECOMMENDATION_FIELDS`` and similar sessions as ``SIMILAR_FIELDS``."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    data = signals.data
    if data.n_users == 0 or data.n_items == 0:
        return [], [], {"models": [], "weights": {}, "ranked_people": 0, "timings": {}}
    model = model or recommend_models(data)
    timings["tune"] = time.perf_counter() - started
    started = time.perf_counter()
    _fit(model, data)
    timings["fit"] = time.perf_counter() - started
    by_name = {m.name: m for m in model.models}
    content = by_name["content"]
    team = by_name["team-popularity"]
    cf = sp.csc_matrix(normalize(sp.csc_matrix(data.interactions, dtype=np.float32), axis=0))
    explainer = _Explainer(
        signals=signals, content=content, team=team, cf=cf, dense=_dense_text(content)
    )

    # Who gets a stored feed: people with any signal or any text (the rest are served cold).
    active = np.flatnonzero(
        (np.diff(data.interactions.indptr) > 0)
        | np.array([bool(t.strip()) for t in (data.user_text or [""] * data.n_users)])
    )
    started = time.perf_counter()
    recs = _rank(model, signals, explainer, active)
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
            _insert(Recommendation, RECOMMENDATION_FIELDS, recs)
            SimilarSession.objects.all().delete()
            _insert(SimilarSession, SIMILAR_FIELDS, similar)
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


def _insert(model: type[models.Model], fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` (values of ``fields``, in order) into ``model``'s table, no instances
    built: COPY on PostgreSQL, one prepared INSERT executed per row elsewhere (SQLite)."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)  # type: ignore[union-attr,arg-type]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from _meta
        for start in range(0, len(rows), 10_000):
            cursor.executemany(sql, rows[start : start + 10_000])


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
