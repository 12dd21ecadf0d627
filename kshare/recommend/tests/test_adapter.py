"""Signals into the engine's TrainData, training, the stored results and the clock's rule."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from kshare.feedback.models import Answer, Question
from kshare.feedback.tests.factories import ResponseFactory
from kshare.library.models import CatchUpSignal
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.recommend import signals as sig
from kshare.recommend.models import Recommendation, SimilarSession, TrainingRun, TrainingState
from kshare.recommend.services import (
    recommend_mark_stale,
    recommend_train,
    recommend_train_if_due,
    recommend_training_due,
)
from kshare.recommend.tasks import recommend_tick_task
from kshare.sessions.models import Invitation, Star, State
from kshare.sessions.tests.factories import PastSessionFactory, SessionFactory

from .conftest import skill

pytestmark = pytest.mark.django_db


def _cell(signals, matrix, person, session) -> float:
    return float(matrix[signals.person_index[person.pk], signals.session_index[session.pk]])


def _stored(person, kind="session"):
    return list(
        Recommendation.objects.filter(person=person, kind=kind)
        .order_by("rank")
        .values_list("session__title", "reason")
    )


def test_signals_weights_attendance_rating_rsvp_star_and_catchup(world):
    Invitation.objects.create(
        session=world.k8s_next, person=world.alice, response=Invitation.Response.YES
    )
    Invitation.objects.create(
        session=world.pandas_scale, person=world.bob, response=Invitation.Response.NO
    )
    Star.objects.create(session=world.k8s_next, person=world.carol)
    CatchUpSignal.objects.create(
        person=world.carol, session=world.pandas_basics, kind=CatchUpSignal.Kind.NOT_INTERESTED
    )
    CatchUpSignal.objects.create(
        person=world.bob, session=world.k8s_basics, kind=CatchUpSignal.Kind.WATCHED
    )
    s = sig.signals_load()
    x, neg = s.data.interactions, s.data.negatives
    # Attended (3) + rated 5/5 (2).
    assert _cell(s, x, world.alice, world.intro_sql) == sig.W_ATTENDED + sig.W_RATING[5]
    assert _cell(s, x, world.bob, world.intro_sql) == sig.W_ATTENDED
    assert _cell(s, x, world.alice, world.k8s_next) == sig.W_YES
    assert _cell(s, x, world.carol, world.k8s_next) == sig.W_STAR
    assert _cell(s, x, world.bob, world.k8s_basics) == sig.W_WATCHED
    assert _cell(s, x, world.host, world.intro_sql) == sig.W_HOSTED
    assert _cell(s, neg, world.bob, world.pandas_scale) == 1.0
    assert _cell(s, neg, world.carol, world.pandas_basics) == 1.0
    assert _cell(s, x, world.bob, world.pandas_scale) == 0.0
    assert neg.nnz == 2
    assert _cell(s, s.evidence, world.alice, world.intro_sql) == sig.ATTENDED
    assert _cell(s, s.ratings, world.alice, world.intro_sql) == 5


def test_low_rating_is_a_negative_and_anonymous_responses_are_skipped(world):
    dave = PersonFactory()
    response = ResponseFactory(session=world.k8s_basics, respondent=dave)
    question = response.form.questions.get(purpose=Question.Purpose.OVERALL)
    Answer.objects.create(response=response, question=question, number=2)
    anonymous = PastSessionFactory(programme=ProgrammeFactory(feedback_anonymous=True))
    eve = PersonFactory()
    response = ResponseFactory(session=anonymous, respondent=eve)
    assert response.person is None
    question = response.form.questions.get(purpose=Question.Purpose.OVERALL)
    Answer.objects.create(response=response, question=question, number=5)
    s = sig.signals_load()
    assert _cell(s, s.data.negatives, dave, world.k8s_basics) == 1.0
    assert _cell(s, s.data.interactions, dave, world.k8s_basics) == 0.0
    assert s.data.interactions[s.person_index[eve.pk]].nnz == 0
    assert s.counts["ratings"] == 2  # alice's 5/5 and dave's 2/5


def test_signals_people_text_items_and_teams(world):
    skill(world.carol, "pandas", level=3)
    world.alice.interests.add(world.k8s_next.tags.get())
    PersonFactory(is_active=False)
    SessionFactory(title="Just an idea", state=State.PROPOSED, host=False)
    s = sig.signals_load()
    assert sorted(s.person_ids.tolist()) == sorted(
        [world.alice.pk, world.bob.pk, world.carol.pk, world.host.pk]
    )
    assert "Just an idea" not in s.titles
    assert len(s.session_ids) == 7
    assert s.data.user_text[s.person_index[world.carol.pk]] == "pandas pandas pandas"
    assert s.data.user_text[s.person_index[world.alice.pk]] == "kubernetes kubernetes"
    item = s.session_index[world.pandas_scale.pk]
    assert s.data.item_text[item].startswith("Pandas at scale pandas pandas Large data frames")
    assert s.upcoming.tolist() == [False, False, False, True, True, True, True]
    assert s.recording.tolist() == [True, True, True, False, False, False, False]
    groups = s.data.user_group
    alice, bob, carol, host = (
        s.person_index[p.pk] for p in (world.alice, world.bob, world.carol, world.host)
    )
    assert groups[alice] == groups[bob] != groups[carol]
    assert groups[host] == -1
    # The invite-only session is visible to nobody but its host until someone is invited.
    secret = s.session_index[world.secret_sql.pk]
    assert [bool(s.allowed_for(u)[secret]) for u in (alice, bob, carol, host)] == [
        False,
        False,
        False,
        True,
    ]


def test_training_stores_ranked_sessions_and_recordings_with_reasons(world):
    run = recommend_train(reason="test")
    assert run.status == TrainingRun.Status.DONE
    assert (run.people, run.items, run.interactions) == (4, 7, 10)
    assert run.recommendations == Recommendation.objects.count()
    assert run.details["models"] == ["popularity", "team-popularity", "content", "ease"]
    assert _stored(world.alice)[0] == ("Advanced SQL", "you rated 'Intro to SQL' 5/5")
    assert _stored(world.bob)[0] == ("Advanced SQL", "similar to 'Intro to SQL' you attended")
    assert _stored(world.carol)[0] == (
        "Kubernetes operators",
        "similar to 'Kubernetes basics' you attended",
    )
    # Never the invite-only session, never something attended, never one's own sessions.
    titles = {t for p in (world.alice, world.bob, world.carol) for t, _ in _stored(p)}
    assert "SQL for the board" not in titles
    assert "Intro to SQL" not in {t for t, _ in _stored(world.alice, "recording")}
    assert _stored(world.host) == []
    assert [t for t, _ in _stored(world.alice, "recording")] == [
        "Kubernetes basics",
        "Pandas basics",
    ]


def test_skill_match_is_the_reason_when_content_carries_the_item(world):
    skill(world.carol, "pandas", level=3)
    recommend_train()
    assert ("Pandas at scale", "matches your skill: pandas") in _stored(world.carol)


def test_team_popularity_is_named(world):
    for person in (world.alice, world.bob):
        Invitation.objects.create(
            session=world.k8s_next, person=person, response=Invitation.Response.YES
        )
    newcomer = PersonFactory(team=world.data_team)
    skill(newcomer, "sql", level=1)  # something to store a feed for
    recommend_train()
    assert ("Kubernetes operators", "popular in your team") in _stored(newcomer)


def test_declined_and_dismissed_sessions_are_not_stored(world):
    Invitation.objects.create(
        session=world.advanced_sql, person=world.alice, response=Invitation.Response.NO
    )
    CatchUpSignal.objects.create(
        person=world.alice, session=world.k8s_basics, kind=CatchUpSignal.Kind.NOT_INTERESTED
    )
    recommend_train()
    assert "Advanced SQL" not in {t for t, _ in _stored(world.alice)}
    assert [t for t, _ in _stored(world.alice, "recording")] == ["Pandas basics"]


def test_retraining_replaces_the_results(world):
    recommend_train()
    first = Recommendation.objects.count()
    recommend_train()
    assert Recommendation.objects.count() == first
    assert TrainingRun.objects.filter(status=TrainingRun.Status.DONE).count() == 2


def test_similar_sessions_for_upcoming_ones(world):
    recommend_train()
    similar = list(
        SimilarSession.objects.filter(session=world.advanced_sql)
        .order_by("-score")
        .values_list("other__title", flat=True)
    )
    assert similar[0] in {"Intro to SQL", "SQL for the board"}
    assert "Intro to SQL" in similar
    assert SimilarSession.objects.filter(session=world.intro_sql).count() == 0  # held: none


def test_training_due_rule(world):
    now = timezone.now()
    assert recommend_training_due(now=now) == "first run"
    run = recommend_train_if_due(now=now)
    assert run is not None and run.reason == "first run"
    assert recommend_training_due(now=now) is None
    assert recommend_train_if_due(now=now) is None
    recommend_mark_stale(reason="demo")
    recommend_mark_stale(reason="again")  # one row, the first reason kept
    assert TrainingState.objects.get().stale_reason == "demo"
    assert recommend_training_due(now=timezone.now()) == "marked stale"
    recommend_train()
    assert TrainingState.objects.get().stale_since is None
    assert recommend_training_due(now=timezone.now()) is None
    assert recommend_training_due(now=timezone.now() + timedelta(hours=25)) == "nightly"


def test_a_recent_running_training_is_left_alone(world):
    TrainingRun.objects.create(status=TrainingRun.Status.RUNNING)
    assert recommend_training_due() is None
    TrainingRun.objects.update(started_at=timezone.now() - timedelta(hours=2))
    assert recommend_training_due() == "first run"


def test_tick_task_trains_once(world):
    result = recommend_tick_task.enqueue()
    assert result.return_value == TrainingRun.objects.get().pk
    assert recommend_tick_task.enqueue().return_value is None
    assert TrainingRun.objects.count() == 1


def test_empty_database_trains_to_nothing(db):
    run = recommend_train()
    assert (run.status, run.people, run.items, run.recommendations) == ("done", 0, 0, 0)


def test_signal_matrices_share_sparsity(world):
    s = sig.signals_load()
    x, t = s.data.interactions, s.data.interaction_time
    assert np.array_equal(x.indptr, t.indptr) and np.array_equal(x.indices, t.indices)


def test_csv_import_marks_the_results_stale(db):
    import io

    from kshare.people.services import people_import_csv

    people_import_csv(file=io.StringIO("email,display_name\nnew@example.com,New Person\n"))
    assert TrainingState.objects.get().stale_reason == "people imported from CSV"
    assert recommend_training_due() == "first run"  # never trained yet: that comes first


def test_demo_command_marks_the_results_stale(db):
    from django.core.management import call_command

    call_command("demo", people=10, stdout=io_sink(), stderr=io_sink())
    assert TrainingState.objects.get().stale_reason == "kshare demo"


def io_sink():
    import io

    return io.StringIO()


def test_evaluate_demo_splits_by_time_and_reports_every_model(world):
    from kshare.recommend.engine.split import split_by_time
    from kshare.recommend.evaluation.demo import evaluate_demo

    s = sig.signals_load()
    train, held = split_by_time(s.data, min_interactions=2)
    host = s.person_index[world.host.pk]
    # The host's 7 sessions: the latest 20% (1) by time is held out, the rest stays.
    assert len(held[host]) == 1
    assert train.interactions[host].nnz == s.data.interactions[host].nnz - 1
    report = evaluate_demo()
    assert report["dataset"] == "demo"
    assert report["counts"]["people"] == 4
    assert set(report["results"]) == {
        "popularity",
        "popularity-recent",
        "team-popularity",
        "content",
        "itemknn",
        "ease",
        "svd",
        "kshare-hybrid",
    }
    assert set(report["results"]["content"]) >= {"ndcg@10", "recall@10", "coverage"}
