"""The full retrain's batched paths give the answers of the plain ones: top-k, content scores,
the shared text TF-IDF, the blended parts, times read by the database and the stored rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
import scipy.sparse as sp

from kshare.recommend import services
from kshare.recommend import signals as sig
from kshare.recommend.engine.base import TrainData, top_k
from kshare.recommend.engine.batched import (
    CachedContentTfidf,
    TextCache,
    content_scores,
    top_k_rows,
)
from kshare.recommend.engine.models import ContentTfidf
from kshare.recommend.models import Recommendation, SimilarSession
from kshare.sessions.models import Attendance, Invitation, Star

from .conftest import skill

TEXTS = [
    "pandas data frames and group by",
    "sql joins and indexes",
    "kubernetes pods and deployments",
    "pandas plotting with matplotlib",
    "sql window functions",
    "",
]


def _data() -> TrainData:
    x = sp.csr_matrix(
        np.array(
            [[3, 0, 0, 2, 0, 0], [0, 3, 0, 0, 2, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
            dtype=np.float32,
        )
    )
    return TrainData(
        interactions=x,
        item_text=TEXTS,
        user_text=["pandas pandas", "", "kubernetes", "sql"],
        interaction_time=sp.csr_matrix(x.astype(bool).astype(np.float64) * 1e9),
        now=1e9,
    )


@pytest.mark.parametrize("seed", range(20))
def test_top_k_rows_is_top_k_with_ties_and_exclusions(seed):
    rng = np.random.default_rng(seed)
    # Few distinct values: many ties, at the boundary too; a quarter excluded (-inf).
    scores = rng.integers(0, 5, size=(7, 40)).astype(np.float64)
    scores[rng.random(scores.shape) < 0.25] = -np.inf
    scores[0] = -np.inf  # nothing to return
    scores[1, 3:] = -np.inf  # fewer than k
    for k in (1, 5, 8, 40, 50):
        ids, values = top_k_rows(scores, k)
        want_ids, want_values = top_k(scores, k)
        assert np.array_equal(ids, want_ids)
        assert np.array_equal(values, want_values)
        assert values.dtype == np.float32


def test_top_k_rows_reads_a_column_slice_as_rows():
    scores = np.asfortranarray(np.arange(24, dtype=np.float64).reshape(4, 6))
    ids, values = top_k_rows(scores[:, [5, 1, 3]], 2)
    assert ids.tolist() == [[0, 2], [0, 2], [0, 2], [0, 2]]
    assert values[:, 0].tolist() == [5.0, 11.0, 17.0, 23.0]


def test_content_scores_are_the_models_raw_scores():
    model = ContentTfidf(ngram_range=(1, 1)).fit(_data())
    users = np.array([3, 0, 2])
    assert np.allclose(content_scores(model, users), model.raw_score(users), atol=1e-6)
    assert content_scores(model, users).flags["C_CONTIGUOUS"]


def test_cached_content_fits_what_content_fits_and_vectorises_once():
    data = _data()
    plain = ContentTfidf(ngram_range=(1, 1)).fit(data)
    cache = TextCache()
    cached = CachedContentTfidf(ngram_range=(1, 1), cache=cache).fit(data)
    assert plain.items is not None and cached.items is not None
    assert np.array_equal(plain.items.toarray(), cached.items.toarray())
    assert plain.profiles is not None and cached.profiles is not None
    assert np.allclose(plain.profiles.toarray(), cached.profiles.toarray(), atol=1e-7)
    assert np.allclose(cached.raw_score(np.arange(4)), plain.raw_score(np.arange(4)), atol=1e-6)
    # A split of the same data (same text lists, fewer interactions) reuses the vectors.
    vectors = cache.value
    split = TrainData(
        interactions=data.interactions.multiply(data.interactions > 2).tocsr(),
        item_text=data.item_text,
        user_text=data.user_text,
    )
    again = CachedContentTfidf(ngram_range=(1, 1), cache=cache).fit(split)
    assert cache.value is vectors and again.items is cached.items
    want = ContentTfidf(ngram_range=(1, 1)).fit(split).profiles
    assert again.profiles is not None and want is not None
    assert np.allclose(again.profiles.toarray(), want.toarray(), atol=1e-7)
    # Other texts, or other settings, are vectorised anew.
    other = TrainData(interactions=data.interactions, item_text=list(TEXTS), user_text=None)
    CachedContentTfidf(ngram_range=(1, 1), cache=cache).fit(other)
    assert cache.value is not vectors
    vectors = cache.value
    CachedContentTfidf(ngram_range=(1, 2), cache=cache).fit(other)
    assert cache.value is not vectors


def test_cached_content_without_any_text_scores_zero():
    data = TrainData(interactions=_data().interactions, item_text=[""] * 6, user_text=None)
    model = CachedContentTfidf().fit(data)
    assert not model.raw_score(np.arange(4)).any()


@pytest.mark.django_db
def test_parts_are_the_hybrids_normalised_scores_times_the_weights(world):
    skill(world.carol, "pandas", level=3)
    s = sig.signals_load()
    weights = {"popularity": 0.5, "team-popularity": 0.0, "content": 2.0, "ease": 1.0}
    model = services._hybrid(s.data.n_items, weights).fit(s.data)
    users = np.arange(s.data.n_users)
    parts = services._parts(model, users)
    assert set(parts) == {"popularity", "content", "ease"}  # weight 0: not computed
    normalised = model.normalised(users)
    for name, part in parts.items():
        assert np.allclose(part, weights[name] * normalised[name], atol=1e-5)


@pytest.mark.django_db
def test_times_come_from_the_database_as_python_reads_them(world):
    exact = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    whole = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
    Attendance.objects.filter(person=world.alice).update(recorded_at=exact)
    Attendance.objects.filter(person=world.bob).update(recorded_at=whole)
    invitation = Invitation.objects.create(
        session=world.k8s_next, person=world.carol, response=Invitation.Response.YES
    )
    Invitation.objects.filter(pk=invitation.pk).update(responded_at=None, created_at=whole)
    rows = sig._table(
        Attendance.objects.filter(person__in=[world.alice, world.bob])
        .annotate(t=sig._Epoch("recorded_at"))
        .order_by("person_id")
        .values_list("t", "person_id")
    )
    assert sorted(rows[:, 0].tolist()) == [exact.timestamp(), whole.timestamp()]
    s = sig.signals_load()
    t = s.data.interaction_time
    assert t is not None
    carol, k8s = s.person_index[world.carol.pk], s.session_index[world.k8s_next.pk]
    assert t[carol, k8s] == whole.timestamp()  # no answer time: the invitation's
    bob, intro = s.person_index[world.bob.pk], s.session_index[world.intro_sql.pk]
    assert t[bob, intro] == whole.timestamp()
    assert sig._epoch(date(2026, 3, 2)) == datetime(2026, 3, 2, tzinfo=UTC).timestamp()


@pytest.mark.django_db
def test_rating_times_are_the_day_submitted(world):
    s = sig.signals_load()
    alice, intro = s.person_index[world.alice.pk], s.session_index[world.intro_sql.pk]
    rated = world.intro_sql.feedback_responses.get().submitted_on
    attended = Attendance.objects.get(person=world.alice, session=world.intro_sql).recorded_at
    assert s.data.interaction_time is not None
    assert s.data.interaction_time[alice, intro] == max(sig._epoch(rated), attended.timestamp())


def _rows():
    return list(
        Recommendation.objects.order_by("person_id", "kind", "rank").values_list(
            "person_id", "kind", "rank", "session_id", "reason"
        )
    ), list(
        SimilarSession.objects.order_by("session_id", "other_id").values_list(
            "session_id", "other_id", "score"
        )
    )


@pytest.mark.django_db
def test_retraining_stores_the_same_rows_and_never_a_seen_one(world):
    skill(world.carol, "pandas", level=3)
    Star.objects.create(session=world.pandas_scale, person=world.bob)
    services.recommend_train()
    first = _rows()
    services.recommend_train()
    assert _rows() == first  # deterministic
    assert first[0] and first[1]
    stored = Recommendation.objects.values_list("person_id", "session_id")
    assert (world.bob.pk, world.pandas_scale.pk) not in set(stored)  # starred: seen
    assert (world.alice.pk, world.intro_sql.pk) not in set(stored)  # attended
    assert not Recommendation.objects.filter(session=world.secret_sql).exists()  # invisible
    assert all(reason and len(reason) <= 200 for *_, reason in first[0])
    assert all(score > 0.05 for _, _, score in first[1])


@pytest.mark.django_db
def test_insert_writes_plain_rows(world):
    services._insert(
        Recommendation,
        services.RECOMMENDATION_FIELDS,
        [(world.alice.pk, "session", 1, world.k8s_next.pk, 1.5, 'it\'s "quoted"\ttabbed\\')],
    )
    services._insert(SimilarSession, services.SIMILAR_FIELDS, [])
    row = Recommendation.objects.get()
    assert (row.person, row.kind, row.rank, row.session, row.score) == (
        world.alice,
        "session",
        1,
        world.k8s_next,
        1.5,
    )
    assert row.reason == 'it\'s "quoted"\ttabbed\\'


@pytest.mark.django_db
def test_models_switched_off_are_not_fitted_but_content_and_team_always_are(world):
    s = sig.signals_load()
    weights = {"popularity": 1.0, "team-popularity": 0.0, "content": 0.0, "ease": 0.0}
    model = services._hybrid(s.data.n_items, weights)
    services._fit(model, s.data)
    popularity, team, content, ease = model.models
    assert popularity.item_scores is not None
    assert team.group_scores is not None and content.profiles is not None
    assert ease.weights is None  # weight 0: nothing to fit
    assert set(services._parts(model, np.arange(2))) == {"popularity"}
