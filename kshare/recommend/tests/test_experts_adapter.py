"""Who could host this: the engine's ExpertFinder fitted on a tiny organisation, served cached."""

from __future__ import annotations

import io
import pickle
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kshare.feedback.models import Answer, Question
from kshare.feedback.tests.factories import ResponseFactory
from kshare.ideas.tests.factories import AreaIdeaFactory
from kshare.people.models import Person
from kshare.people.tests.factories import PersonFactory, SkillFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.recommend import experts_adapter
from kshare.recommend.models import ExpertIndex, TrainingState
from kshare.recommend.selectors import hosts_for_idea, hosts_for_topic
from kshare.recommend.services import recommend_training_due
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.topics.models import TopicVolunteer
from kshare.topics.tests.factories import TopicRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process_cache():
    experts_adapter.experts_forget()
    yield
    experts_adapter.experts_forget()


def _rate(session, number: int) -> None:
    response = ResponseFactory(session=session, respondent=PersonFactory())
    question = response.form.questions.get(purpose=Question.Purpose.OVERALL)
    Answer.objects.create(response=response, question=question, number=number)


@pytest.fixture
def org():
    """Pia and Quinn gave near-identical pandas talks (rated 4.6 and 2.0), Sam declares pandas
    (expert) without a talk, Kim gave a Kubernetes talk; Rita asks for a pandas session."""
    pandas, k8s = TagFactory(name="pandas"), TagFactory(name="kubernetes")
    programme = ProgrammeFactory()
    past = timezone.now() - timedelta(days=20)
    people = {
        name: PersonFactory(display_name=name) for name in ("Pia", "Quinn", "Sam", "Kim", "Rita")
    }

    def talk(title, abstract, host, tag, rating=None, **kwargs):
        session = PastSessionFactory(
            programme=programme, title=title, abstract=abstract, host=host, start=past, **kwargs
        )
        session.tags.add(tag)
        if rating is not None:
            for number in rating:
                _rate(session, number)
        return session

    pia_talk = talk(
        "Pandas performance tips",
        "Vectorised data frames in pandas.",
        people["Pia"],
        pandas,
        rating=[5, 5, 5, 4, 4],
    )
    talk(
        "Pandas performance tricks",
        "Vectorised data frames in pandas.",
        people["Quinn"],
        pandas,
        rating=[2, 2],
    )
    talk("Kubernetes operators", "Writing operators for clusters.", people["Kim"], k8s)
    SkillFactory(person=people["Sam"], tag=pandas, level=3)
    topic = TopicRequestFactory(
        title="Faster pandas data frames",
        description="Performance of vectorised pandas code.",
        requester=people["Rita"],
    )
    topic.tags.add(pandas)
    people["pia_talk"] = pia_talk
    people["topic"] = topic
    return people


def _hosts(viewer, topic):
    return [(h.person.display_name, h.reason) for h in hosts_for_topic(viewer=viewer, topic=topic)]


def test_ranked_by_talks_feedback_and_skills_with_reasons(org):
    experts_adapter.experts_fit_and_store()
    assert _hosts(org["Rita"], org["topic"]) == [
        ("Pia", "gave 'Pandas performance tips' (rated 4.6)"),
        ("Quinn", "gave 'Pandas performance tricks' (rated 2.0)"),
        ("Sam", "skill: pandas (expert)"),
    ]


def test_feedback_decides_between_equal_talks(org):
    """Same words; only the ratings differ: swap them and the order swaps."""
    Answer.objects.filter(response__session=org["pia_talk"]).update(number=1)
    experts_adapter.experts_fit_and_store()
    names = [name for name, _ in _hosts(org["Rita"], org["topic"])]
    assert names[:2] == ["Quinn", "Pia"]


def test_requester_volunteers_and_inactive_people_are_left_out(org):
    TopicVolunteer.objects.create(request=org["topic"], person=org["Quinn"])
    experts_adapter.experts_fit_and_store()
    org["Sam"].is_active = False
    org["Sam"].save()
    assert [name for name, _ in _hosts(org["Rita"], org["topic"])] == ["Pia"]


def test_a_talk_the_viewer_may_not_see_is_not_named(org):
    org["pia_talk"].visibility = Visibility.INVITE_ONLY
    org["pia_talk"].save()
    experts_adapter.experts_fit_and_store()
    found = dict(_hosts(org["Rita"], org["topic"]))
    assert found["Pia"] == "hosted a session on “pandas”"  # the topic word, not "this"
    # Its host may see it: named for her.
    assert dict(_hosts(org["Pia"], org["topic"]))["Pia"] == (
        "gave 'Pandas performance tips' (rated 4.6)"
    )


def test_ideas_use_the_same_finder(org):
    experts_adapter.experts_fit_and_store()
    idea = AreaIdeaFactory(
        title="A pandas performance clinic",
        description="Vectorised data frames.",
        author=org["Pia"],
    )
    found = [
        (h.person.display_name, h.reason) for h in hosts_for_idea(viewer=org["Rita"], idea=idea)
    ]
    assert found[0] == ("Quinn", "gave 'Pandas performance tricks' (rated 2.0)")
    assert "Pia" not in [name for name, _ in found]


def test_without_an_index_the_database_scorer_answers(org):
    assert not experts_adapter.experts_stored()
    found = _hosts(org["Rita"], org["topic"])
    assert found[0][0] == "Pia"
    assert found[0][1] == "hosted 'Pandas performance tips'; rated 4.6/5 by attendees"


def test_served_from_the_process_cache_in_a_fixed_number_of_queries(org, django_assert_num_queries):
    experts_adapter.experts_fit_and_store()
    hosts_for_topic(viewer=org["Rita"], topic=org["topic"])  # loads the index once
    # Tags, volunteers, the newest index's id, the people, the visible talks, their skills.
    with django_assert_num_queries(6):
        hosts_for_topic(viewer=org["Rita"], topic=org["topic"])


def test_refit_replaces_the_index_and_serving_follows(org):
    experts_adapter.experts_fit_and_store()
    assert [n for n, _ in _hosts(org["Rita"], org["topic"])] == ["Pia", "Quinn", "Sam"]
    newcomer = PersonFactory(display_name="Nia")
    SkillFactory(person=newcomer, tag=org["topic"].tags.get(), level=1)
    assert "Nia" not in [n for n, _ in _hosts(org["Rita"], org["topic"])]  # not refitted per call
    experts_adapter.experts_fit_and_store()
    assert ExpertIndex.objects.count() == 1
    assert dict(_hosts(org["Rita"], org["topic"]))["Nia"] == "skill: pandas (basic)"


def test_a_finished_training_run_queues_the_fit(org, django_capture_on_commit_callbacks):
    from kshare.recommend.services import recommend_train

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = recommend_train()
    assert len(callbacks) == 1  # once, when the run is marked done
    index = ExpertIndex.objects.get()
    assert index.run == run
    assert index.talks == 3
    assert index.people == Person.objects.filter(is_active=True).count()
    assert [n for n, _ in _hosts(org["Rita"], org["topic"])] == ["Pia", "Quinn", "Sam"]


def test_the_task_returns_the_new_index(org):
    result = experts_adapter.experts_fit_task.enqueue(None)
    assert result.return_value == ExpertIndex.objects.get().pk


def test_nothing_to_rank_by_stores_nothing(db):
    PersonFactory()
    assert experts_adapter.experts_fit_and_store() is None
    assert not ExpertIndex.objects.exists()


def test_a_damaged_index_falls_back_to_the_database_scorer(org, caplog):
    index = experts_adapter.experts_fit_and_store()
    ExpertIndex.objects.filter(pk=index.pk).update(data=b"not a pickle")
    found = _hosts(org["Rita"], org["topic"])
    assert found[0] == ("Pia", "hosted 'Pandas performance tips'; rated 4.6/5 by attendees")
    assert "cannot be loaded" in caplog.text


def test_the_stored_index_is_an_npz_read_without_pickle(org):
    index = experts_adapter.experts_fit_and_store()
    blob = bytes(ExpertIndex.objects.values_list("data", flat=True).get(pk=index.pk))
    assert blob[:4] == b"PK\x03\x04"
    with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    assert [name for name, value in arrays.items() if value.dtype.hasobject] == []
    person_ids = sorted(Person.objects.filter(is_active=True).values_list("pk", flat=True))
    assert arrays["person_ids"].tolist() == person_ids
    assert index.details["bytes"] == len(blob)


def test_a_round_trip_through_the_database_gives_the_same_hosts(org):
    fitted = experts_adapter.experts_fit(experts_adapter.experts_data())
    experts_adapter.experts_fit_and_store()
    loaded = experts_adapter.experts_loaded()
    assert loaded is not None and loaded is not fitted
    for query, tags in (("Faster pandas data frames", ["pandas"]), ("Kubernetes", []), ("x", [])):
        assert experts_adapter.hosts_ranked(
            loaded, query=query, tags=tags, exclude={org["Rita"].pk}, limit=5
        ) == experts_adapter.hosts_ranked(
            fitted, query=query, tags=tags, exclude={org["Rita"].pk}, limit=5
        )
    assert loaded.ratings == fitted.ratings
    assert (loaded.person_ids, loaded.session_ids) == (fitted.person_ids, fitted.session_ids)
    assert _hosts(org["Rita"], org["topic"]) == [
        ("Pia", "gave 'Pandas performance tips' (rated 4.6)"),
        ("Quinn", "gave 'Pandas performance tricks' (rated 2.0)"),
        ("Sam", "skill: pandas (expert)"),
    ]


def test_an_index_pickled_by_an_older_version_is_not_loaded(org, caplog):
    index = experts_adapter.experts_fit_and_store()
    ExpertIndex.objects.filter(pk=index.pk).update(data=pickle.dumps({"finder": None}))
    found = _hosts(org["Rita"], org["topic"])
    assert found[0] == ("Pia", "hosted 'Pandas performance tips'; rated 4.6/5 by attendees")
    assert "cannot be loaded" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_pickled_indexes_and_asks_for_a_retraining():
    executor = MigrationExecutor(connection)
    executor.migrate([("recommend", "0002_expert_index")])
    apps = executor.loader.project_state([("recommend", "0002_expert_index")]).apps
    old = apps.get_model("recommend", "ExpertIndex")
    pickled = old.objects.create(data=pickle.dumps({"finder": None}), people=3, talks=2)
    arrays = io.BytesIO()
    np.savez(arrays, person_ids=np.arange(3))
    kept = old.objects.create(data=arrays.getvalue(), people=3, talks=2)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("recommend"))
    assert list(ExpertIndex.objects.values_list("pk", flat=True)) == [kept.pk]
    assert pickled.pk != kept.pk
    assert TrainingState.objects.get().stale_reason == "host finder index stored as arrays"
    assert recommend_training_due() in ("first run", "marked stale")
