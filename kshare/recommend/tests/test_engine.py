"""The pure recommender engine on tiny hand-made matrices where the right ranking is known."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from kshare.recommend.engine.base import DAY, TrainData, top_k
from kshare.recommend.engine.models import (
    EASE,
    NEGATIVE_PENALTY,
    ContentTfidf,
    GroupPopularity,
    Hybrid,
    ItemKNN,
    Popularity,
    PureSVD,
    log_scale,
    normalise_rows,
    user_recency_weights,
)
from kshare.recommend.evaluation.baselines import Oracle, SideSVD, side_columns

ENGINE_DIR = Path(__file__).resolve().parents[1] / "engine"
EVALUATION_DIR = ENGINE_DIR.parent / "evaluation"
NOW = 1_700_000_000.0


def matrix(rows: Sequence[Sequence[float]]) -> sp.csr_matrix:
    return sp.csr_matrix(np.array(rows, dtype=np.float32))


def block() -> sp.csr_matrix:
    """Two taste groups: users 0-2 like items 0-2, users 3-5 like items 3-5."""
    return matrix(
        [
            [1, 1, 0, 0, 0, 0],
            [1, 1, 1, 0, 0, 0],
            [0, 1, 1, 0, 0, 0],
            [0, 0, 0, 1, 1, 0],
            [0, 0, 0, 1, 1, 1],
            [0, 0, 0, 0, 1, 1],
        ]
    )


def ranking(model, user: int, data: TrainData, k: int = 10) -> list[int]:
    ids, _ = top_k(model.score(np.array([user])), k, exclude=data.interactions[[user]])
    return [int(i) for i in ids[0] if i >= 0]


# --- the engine is pure -------------------------------------------------------------------


def test_no_module_of_the_engine_imports_django():
    imported: set[str] = set()
    for path in ENGINE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert "django" not in imported
    assert "kshare" not in imported


def test_the_offline_evaluation_is_pure_except_the_demo_data_set():
    imported: set[str] = set()
    for path in EVALUATION_DIR.glob("*.py"):
        if path.name == "demo.py":  # evaluates the current database
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
    assert {m for m in imported if m.split(".")[0] == "django"} == set()
    assert {
        m
        for m in imported
        if m.startswith("kshare.")
        and not m.startswith(("kshare.recommend.engine", "kshare.recommend.evaluation"))
    } == set()


def test_engine_imports_with_django_unconfigured():
    code = (
        "import sys\n"
        "import kshare.recommend.engine.models, kshare.recommend.engine.metrics\n"
        "import kshare.recommend.evaluation.evaluate, kshare.recommend.evaluation.synthetic\n"
        "print('django.conf' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=ENGINE_DIR.parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "False")


# --- TrainData and top_k ------------------------------------------------------------------


def test_train_data_rejects_side_information_of_the_wrong_length():
    with pytest.raises(ValueError, match="item_text needs one entry per item"):
        TrainData(block(), item_text=["a"])
    with pytest.raises(ValueError, match="negatives must have the shape of interactions"):
        TrainData(block(), negatives=sp.csr_matrix((2, 2)))


def test_top_k_excludes_seen_items_and_breaks_ties_by_item_index():
    scores = np.array([[0.5, 0.9, 0.5, 0.1, 0.5], [1.0, 2.0, 3.0, 4.0, 5.0]])
    seen = matrix([[0, 1, 0, 0, 0], [0, 0, 0, 0, 1]])
    ids, values = top_k(scores, 3, exclude=seen)
    assert ids.tolist() == [[0, 2, 4], [3, 2, 1]]
    assert values.tolist() == [[0.5, 0.5, 0.5], [4.0, 3.0, 2.0]]


def test_top_k_only_returns_allowed_items_and_pads_short_rows():
    scores = np.array([[5.0, 4.0, 3.0, 2.0]])
    ids, values = top_k(scores, 3, allowed=np.array([1, 3]))
    assert ids.tolist() == [[1, 3, -1]]
    assert values[0, :2].tolist() == [4.0, 2.0]
    assert values[0, 2] == -np.inf
    mask_ids, _ = top_k(scores, 2, allowed=np.array([False, True, True, False]))
    assert mask_ids.tolist() == [[1, 2]]


# --- popularity ---------------------------------------------------------------------------


def test_popularity_counts_users_without_decay():
    x = matrix([[1, 1, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]])
    model = Popularity().fit(TrainData(x))
    assert model.score(np.array([0]))[0].tolist() == [3.0, 1.0, 2.0]


def test_popularity_half_life_prefers_recent_interactions():
    # Item 0: three interactions 60 days ago; item 1: two interactions today; item 2: one today.
    x = matrix([[1, 1, 0], [1, 1, 0], [1, 0, 1]])
    old, new = NOW - 60 * DAY, NOW
    times = sp.csr_matrix(np.array([[old, new, 0], [old, new, 0], [old, 0, new]]))
    data = TrainData(x, interaction_time=times, now=NOW)
    scores = Popularity(half_life_days=30).fit(data).score(np.array([0]))[0]
    assert scores.tolist() == pytest.approx([0.75, 2.0, 1.0])
    assert ranking(
        Popularity(half_life_days=30).fit(data), 0, TrainData(sp.csr_matrix((1, 3)))
    ) == [
        1,
        2,
        0,
    ]
    assert Popularity().fit(data).score(np.array([0]))[0].tolist() == [3.0, 2.0, 1.0]


def test_popularity_decays_by_item_age_without_interaction_times():
    x = matrix([[1, 1], [1, 1], [1, 0]])
    data = TrainData(x, item_time=np.array([NOW - 20 * DAY, NOW]), now=NOW)
    scores = Popularity(half_life_days=10).fit(data).score(np.array([0]))[0]
    assert scores.tolist() == pytest.approx([0.75, 2.0])


def test_user_recency_weights_halve_per_half_life_before_each_users_latest():
    x = matrix([[1, 1, 1], [1, 0, 0]])
    times = sp.csr_matrix(np.array([[NOW, NOW - 7 * DAY, NOW - 14 * DAY], [NOW - 100 * DAY, 0, 0]]))
    weights = user_recency_weights(TrainData(x, interaction_time=times), 7).toarray()
    assert weights.ravel().tolist() == pytest.approx([1.0, 0.5, 0.25, 1.0, 0.0, 0.0])


# --- collaborative models -----------------------------------------------------------------


def test_ease_recommends_within_the_users_block():
    data = TrainData(block())
    model = EASE(lam=1.0).fit(data)
    assert set(ranking(model, 0, data)[:1]) == {2}
    assert set(ranking(model, 3, data)[:1]) == {5}
    assert model.weights is not None
    assert np.allclose(np.diag(model.weights), 0.0)
    # Items of the other block score 0 exactly: the blocks share no user.
    assert model.score(np.array([0]))[0, 3:].tolist() == [0.0, 0.0, 0.0]


def test_ease_falls_back_to_itemknn_above_max_items():
    data = TrainData(block())
    model = EASE(lam=1.0, max_items=3).fit(data)
    assert model.weights is None
    assert isinstance(model.fallback, ItemKNN)
    assert ranking(model, 0, data)[0] == 2


def test_itemknn_neighbours_are_cosine_similar_items_best_first():
    x = matrix([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]])
    model = ItemKNN(k=2).fit(TrainData(x))
    row = model.sim[0]
    # cos(0,1) = 2 / (sqrt 3 sqrt 2), cos(0,2) = 1 / sqrt 3, item 3 shares no user.
    assert row.indices.tolist() == [1, 2]
    assert row.data.tolist() == pytest.approx([2 / np.sqrt(6), 1 / np.sqrt(3)], rel=1e-5)
    assert model.sim[3].nnz == 0


def test_itemknn_keeps_only_k_neighbours():
    x = matrix([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 1, 0]])
    model = ItemKNN(k=1).fit(TrainData(x))
    assert model.sim[0].indices.tolist() == [1]  # items 1 and 2 tie; the lower index stays
    assert model.sim is not None
    assert model.sim.getnnz(axis=1).tolist() == [1, 1, 1, 1]


def test_pure_svd_recovers_blocks_and_is_deterministic():
    data = TrainData(block(), seed=3)
    first = PureSVD(factors=2).fit(data).score(np.arange(6))
    second = PureSVD(factors=2).fit(data).score(np.arange(6))
    assert np.array_equal(first, second)
    assert ranking(PureSVD(factors=2).fit(data), 0, data)[0] == 2


def side_data() -> TrainData:
    """``block()`` with words and teams, plus user 6 (team 1, no words) and user 7 (no team,
    declares "kubernetes"), neither with any interaction."""
    x = sp.vstack([block(), sp.csr_matrix((2, 6), dtype=np.float32)]).tocsr()
    return TrainData(
        x,
        item_text=["sql joins"] * 3 + ["kubernetes pods"] * 3,
        user_text=["sql"] * 3 + ["kubernetes"] * 3 + ["", "kubernetes"],
        user_group=np.array([0, 0, 0, 1, 1, 1, 1, -1]),
        seed=1,
    )


def test_side_columns_are_weighted_declared_words_and_a_team_one_hot():
    # Vocabulary (items' and people's words, sorted): joins, kubernetes, pods, sql; then teams 0, 1.
    columns = side_columns(side_data(), text_weight=2.0, team_weight=3.0)
    assert columns.toarray().tolist() == (
        [[0, 0, 0, 2, 3, 0]] * 3
        + [[0, 2, 0, 0, 0, 3]] * 3
        + [[0, 0, 0, 0, 0, 3], [0, 2, 0, 0, 0, 0]]
    )
    assert side_columns(side_data(), 0.0, 0.0).shape == (8, 0)


def test_side_svd_places_people_without_interactions_by_team_and_declared_words():
    data = side_data()
    model = SideSVD(factors=2, text_weight=1.0, team_weight=1.0).fit(data)
    for user in (6, 7):  # team 1 only; "kubernetes" only
        assert sorted(ranking(model, user, data)[:3]) == [3, 4, 5]
        assert ranking(model, user, data)[0] == 4  # the block's most attended session
    assert ranking(model, 0, data)[0] == 2  # within the user's own block
    # Plain SVD knows nothing about them.
    assert not PureSVD(factors=2).fit(data).score(np.array([6, 7])).any()
    again = SideSVD(factors=2, text_weight=1.0, team_weight=1.0).fit(data)
    assert np.array_equal(model.score(np.arange(8)), again.score(np.arange(8)))


def test_team_popularity_ranks_what_the_users_team_attends():
    x = matrix([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]])
    groups = np.array([0, 0, 1, 1, 1, 0, -1])
    model = GroupPopularity(smoothing=0.0).fit(TrainData(x, user_group=groups))
    assert model.score(np.array([5]))[0].tolist() == [1.0, 0.0, 0.0]
    assert model.score(np.array([6]))[0].tolist() == pytest.approx([0.4, 0.6, 0.0])


# --- content ------------------------------------------------------------------------------

ITEMS = [
    "Intro to SQL: joins grouping window functions",
    "Advanced SQL: window functions and query plans",
    "Kubernetes basics: pods deployments services",
    "Kubernetes operators for deployments",
]


def test_content_profile_from_history_and_cold_start_from_declared_skills():
    x = matrix([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    data = TrainData(x, item_text=ITEMS, user_text=["", "kubernetes kubernetes operators", ""])
    model = ContentTfidf().fit(data)
    assert ranking(model, 0, data)[0] == 1
    assert ranking(model, 1, data)[:2] == [3, 2]
    assert model.score(np.array([2]))[0].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_content_without_any_text_scores_zero():
    model = ContentTfidf().fit(TrainData(block()))
    assert not model.score(np.arange(6)).any()


# --- negatives ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        Popularity,
        lambda: EASE(lam=1.0),
        lambda: ItemKNN(k=5),
        lambda: PureSVD(factors=2),
        lambda: SideSVD(factors=2),
        GroupPopularity,
        ContentTfidf,
        lambda: Hybrid([EASE(lam=1.0), Popularity()]),
        lambda: Hybrid([ContentTfidf(), Popularity()], log_scaled=["popularity"]),
        lambda: Oracle(np.tile([1.0, 2.0, 9.0, 0.5, 0.4, 0.3], (6, 1))),
    ],
)
def test_negatives_go_below_every_other_item(make):
    x = block()
    negatives = matrix([[0, 0, 1, 0, 0, 0]] + [[0] * 6] * 5)
    text = ["sql"] * 3 + ["kubernetes"] * 3
    data = TrainData(x, negatives=negatives, item_text=text, user_text=text)
    model = make().fit(data)
    assert ranking(model, 0, data)[-1] == 2
    assert model.score(np.array([0]))[0, 2] < -NEGATIVE_PENALTY / 2


# --- hybrid -------------------------------------------------------------------------------


def test_normalise_rows_is_a_per_user_z_score():
    out = normalise_rows(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
    assert out[0].tolist() == pytest.approx([-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
    assert out[1].tolist() == [0.0, 0.0, 0.0]


def test_hybrid_blends_normalised_scores_and_reports_contributions():
    pref = np.array([[3.0, 2.0, 1.0], [1.0, 2.0, 3.0]])
    other = np.array([[10.0, 0.0, 20.0], [0.0, 0.0, 0.0]])
    a = Oracle(pref)
    b = Oracle(other)
    b.name = "other"
    data = TrainData(sp.csr_matrix((2, 3)))
    hybrid = Hybrid([a, b], {"oracle": 1.0, "other": 0.5}).fit(data)
    expected = normalise_rows(pref) + 0.5 * normalise_rows(other)
    assert np.allclose(hybrid.score(np.array([0, 1])), expected, atol=1e-6)
    parts = hybrid.contributions(0, [0, 2])
    assert set(parts) == {"oracle", "other"}
    assert parts["oracle"].tolist() == pytest.approx(normalise_rows(pref)[0, [0, 2]].tolist())
    assert parts["other"].tolist() == pytest.approx(
        (0.5 * normalise_rows(other)[0, [0, 2]]).tolist()
    )
    total = parts["oracle"] + parts["other"]
    assert total.tolist() == pytest.approx(hybrid.score(np.array([0]))[0, [0, 2]].tolist())


def test_log_scale_puts_non_negative_scores_on_a_log_scale_with_a_floor_per_user():
    out = log_scale(np.array([[0.0, 1.0, 10.0], [0.0, 0.0, 0.0], [-3.0, 2.0, 0.0]]))
    assert out[0].tolist() == pytest.approx(np.log([0.01, 1.01, 10.01]).tolist())
    assert out[1].tolist() == pytest.approx([np.log(1e-15)] * 3)  # flat: z-scores to 0
    assert out[2].tolist() == pytest.approx(np.log([0.002, 2.002, 0.002]).tolist())
    assert log_scale(np.array([[0.0, 1.0]]), floor=0.5)[0].tolist() == pytest.approx(
        np.log([0.5, 1.5]).tolist()
    )


def test_hybrid_log_scaled_models_blend_as_a_geometric_mean():
    content = Oracle(np.array([[1.0, 0.5, 0.0]]))
    content.name = "content"
    popularity = Oracle(np.array([[1.0, 4.0, 100.0]]))
    popularity.name = "popularity"
    data = TrainData(sp.csr_matrix((1, 3)))
    linear = Hybrid([content, popularity]).fit(data)
    logged = Hybrid([content, popularity], log_scaled={"content", "popularity"}).fit(data)
    parts = logged.normalised(np.array([0]))
    assert parts["content"][0].tolist() == pytest.approx(
        normalise_rows(log_scale(np.array([[1.0, 0.5, 0.0]])))[0].tolist()
    )
    # Added up, the huge count of item 2 outweighs its missing topic; multiplied, item 1 (on
    # topic and popular) wins.
    assert ranking(linear, 0, data) == [0, 2, 1]
    assert ranking(logged, 0, data)[0] == 1
    with pytest.raises(ValueError, match=r"log_scaled names models not in the hybrid: \['ease'\]"):
        Hybrid([content, popularity], log_scaled=["ease"])


def test_hybrid_rejects_two_models_of_the_same_name():
    with pytest.raises(ValueError, match="distinct names"):
        Hybrid([Popularity(), Popularity()])


def test_hybrid_tune_outweighs_a_misleading_model():
    truth = np.array([[0.0, 1.0, 2.0, 3.0, 4.0]] * 4)
    wrong = Oracle(-truth)
    wrong.name = "wrong"
    hybrid = Hybrid([Oracle(truth), wrong])
    data = TrainData(sp.csr_matrix((4, 5)))
    validation = [np.array([4]), np.array([3]), np.array([4]), np.array([])]
    weights = hybrid.tune(data, validation, grid=(0.0, 1.0, 2.0), k=2)
    # From all-ones (a blend of zeros) the search raises the truth's weight above the other's.
    assert weights == {"oracle": 2.0, "wrong": 1.0}
    assert hybrid.weights == weights
    ids, _ = top_k(hybrid.score(np.arange(4)), 2)
    assert ids.tolist() == [[4, 3]] * 4
    assert hybrid.validation_ndcg == pytest.approx((1 + 1 / np.log2(3) + 1) / 3)


def test_hybrid_tune_over_several_splits_follows_all_of_them():
    a = Oracle(np.array([[0.0, 1.0, 2.0, 3.0, 4.0]] * 4))
    a.name = "a"
    b = Oracle(np.array([[3.0, 4.0, 2.0, 1.0, 0.0]] * 4))
    b.name = "b"
    data = TrainData(sp.csr_matrix((4, 5)))
    first = [np.array([4]), np.array([]), np.array([]), np.array([])]
    fold = [np.array([1]), np.array([1]), np.array([1]), np.array([])]
    # The first split alone: user 0 wants a's top item, so a's weight goes up.
    assert Hybrid([a, b]).tune(data, first, grid=(0.0, 1.0, 2.0), k=2) == {"a": 2.0, "b": 1.0}
    # With the fold, three more users want item 1 (top of the even blend): the weights stay even.
    hybrid = Hybrid([a, b])
    weights = hybrid.tune(data, first, grid=(0.0, 1.0, 2.0), k=2, folds=[(data, fold)])
    assert weights == {"a": 1.0, "b": 1.0}
    assert hybrid.validation_ndcg == pytest.approx(3 / 4)


def test_oracle_ranks_by_true_preference_and_pushes_dismissed_items_last():
    pref = np.array([[0.9, 0.8, 0.1, 0.5]])
    data = TrainData(matrix([[0, 0, 0, 1]]), negatives=matrix([[1, 0, 0, 0]]))
    oracle = Oracle(pref).fit(data)
    assert ranking(oracle, 0, data) == [1, 2, 0]
    assert oracle.raw_score(np.array([0])).tolist() == pref.tolist()
    assert pref.tolist() == [[0.9, 0.8, 0.1, 0.5]]  # scoring never changes the preferences


def test_synthetic_organisation_is_consistent():
    from kshare.recommend.evaluation.synthetic import generate

    org = generate(seed=3)
    assert org.train.negatives is not None
    x = org.train.interactions.toarray() > 0
    negatives = org.train.negatives.toarray() > 0
    counts = x.sum(axis=1)
    assert len(org.cold) == 120
    assert counts[org.cold].max() <= 2
    assert np.delete(counts, org.cold).min() >= 8
    assert not negatives[org.cold].any()
    assert (np.delete(negatives.sum(axis=1), org.cold) == 1).all()
    for u in range(org.train.n_users):
        held = org.test[u]
        assert len(held) == 5
        assert not x[u, held].any()  # test sessions are not in training
        assert not negatives[u, held].any()  # nor dismissed
        assert not (negatives[u] & x[u]).any()
        assert x[u, org.validation[u]].all()  # validation: training sessions, held out of tuning
        assert not org.tune_train.interactions[u, org.validation[u]].toarray().any()
    assert len(org.validation[org.cold[0]]) == 0
    assert org.tune_train.interactions.nnz == org.train.interactions.nnz - sum(
        len(v) for v in org.validation
    )
    # Every session's true preference is positive (the oracle has a strict order to follow).
    assert (org.preference > 0).all()


def test_models_are_deterministic():
    from kshare.recommend.evaluation.synthetic import generate

    org_a, org_b = (
        generate(seed=5, n_people=60, n_sessions=40),
        generate(seed=5, n_people=60, n_sessions=40),
    )
    assert (org_a.train.interactions != org_b.train.interactions).nnz == 0
    assert org_a.train.item_text == org_b.train.item_text
    users = np.arange(60)
    for make in (
        lambda: Hybrid([EASE(lam=10.0), ContentTfidf(), PureSVD(factors=4), GroupPopularity()]),
    ):
        first = make().fit(org_a.train).score(users)
        second = make().fit(org_b.train).score(users)
        assert np.array_equal(first, second)
    assert (
        generate(seed=6, n_people=60, n_sessions=40).train.interactions != org_a.train.interactions
    ).nnz > 0
