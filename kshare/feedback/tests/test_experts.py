"""The expertise directory: "who knows Kubernetes?"."""

from __future__ import annotations

import pytest

from kshare.feedback.models import Answer, Question, Response
from kshare.feedback.services import feedback_form_current, response_submit
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.people.tests.factories import PersonFactory, SkillFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import SessionHost, State, Visibility
from kshare.sessions.tests.factories import PastSessionFactory, ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def _held(host, *tags, **kwargs):
    session = PastSessionFactory(host=host, **kwargs)
    session.tags.set(tags)
    return session


def _rows(response) -> list[tuple[str, int, int, list[str]]]:
    return [
        (s.person.display_name, s.level, s.n_held, [x.title for x in sessions])
        for s, sessions in response.context["rows"]
    ]


def test_experts_are_ranked_by_level_then_sessions_held_then_name(member_client):
    k8s = TagFactory(name="Kubernetes", slug="kubernetes")
    other = TagFactory(name="go")
    ann, bob, cyd, dee, eve = (
        PersonFactory(display_name=n) for n in ("Ann", "Bob", "Cyd", "Dee", "Eve")
    )
    SkillFactory(person=ann, tag=k8s, level=2)
    SkillFactory(person=bob, tag=k8s, level=3)
    SkillFactory(person=cyd, tag=k8s, level=3)
    SkillFactory(person=dee, tag=k8s, level=2)
    SkillFactory(person=eve, tag=other, level=3)
    SkillFactory(person=PersonFactory(display_name="Gone", is_active=False), tag=k8s, level=3)
    _held(cyd, k8s, title="Pods 101")
    _held(cyd, k8s, title="Helm charts")
    _held(bob, k8s, title="Operators")
    _held(dee, k8s, title="K8s at scale")
    _held(ann, other, title="Go not k8s")  # another tag: does not count
    ScheduledSessionFactory(host=ann).tags.set([k8s])  # not held yet: does not count
    _held(ann, k8s, title="Secret", visibility=Visibility.INVITE_ONLY)  # invisible to me

    response = member_client.get("/people/experts/?skill=KUBERNETES")

    assert response.status_code == 200
    assert response.context["tag"] == k8s
    assert [row[:3] for row in _rows(response)] == [
        ("Cyd", 3, 2),
        ("Bob", 3, 1),
        ("Dee", 2, 1),
        ("Ann", 2, 0),
    ]
    assert sorted(_rows(response)[0][3]) == ["Helm charts", "Pods 101"]
    assert "Secret" not in response.text
    assert response.text.count("No feedback yet") == 4


def _rate(session, *ratings, released=True):
    form = feedback_form_current(programme=session.programme)
    overall = form.questions.get(purpose=Question.Purpose.OVERALL)
    for i, rating in enumerate(ratings):
        response = Response.objects.create(
            session=session, form=form, respondent_hash=f"{session.pk}-{i}", released=released
        )
        Answer.objects.create(response=response, question=overall, number=rating)


def test_feedback_breaks_ties_between_equally_experienced_people(member_client):
    sql = TagFactory(name="SQL", slug="sql")
    ann, bob, cyd = (PersonFactory(display_name=n) for n in ("Ann", "Bob", "Cyd"))
    for person in (ann, bob, cyd):
        SkillFactory(person=person, tag=sql, level=3)
    _rate(_held(ann, sql), 3, 4)
    _rate(_held(bob, sql), 5, 5, 4)
    _held(cyd, sql)  # held, never rated: after the rated ones

    response = member_client.get("/people/experts/?skill=sql")

    rows = [
        (s.person.display_name, s.rating_mean, s.rating_count) for s, _ in response.context["rows"]
    ]
    assert [(name, round(mean, 2) if mean else mean, n) for name, mean, n in rows] == [
        ("Bob", 4.67, 3),
        ("Ann", 3.5, 2),
        ("Cyd", None, 0),
    ]
    assert "Feedback: 4.7 / 5 from 3 ratings" in response.text
    assert "Feedback: 3.5 / 5 from 2 ratings" in response.text


def test_held_back_anonymous_answers_do_not_count(member_client):
    sql = TagFactory(name="SQL", slug="sql")
    ann = PersonFactory(display_name="Ann")
    SkillFactory(person=ann, tag=sql, level=3)
    session = _held(ann, sql)
    _rate(session, 2)
    _rate(_held(ann, sql), 5, 5, released=False)  # waiting for its batch: nobody reads it

    response = member_client.get("/people/experts/?skill=sql")

    rows = [(s.n_held, s.rating_mean, s.rating_count) for s, _ in response.context["rows"]]
    assert rows == [(2, 2.0, 1)]


def test_ratings_count_once_released_and_not_before(
    member_client, django_capture_on_commit_callbacks
):
    sql = TagFactory(name="SQL", slug="sql")
    ann = PersonFactory(display_name="Ann")
    SkillFactory(person=ann, tag=sql, level=3)
    _rate(_held(ann, sql), 2)

    def rating() -> list[tuple[int, float | None, int]]:
        response = member_client.get("/people/experts/?skill=sql")
        return [(s.n_held, s.rating_mean, s.rating_count) for s, _ in response.context["rows"]]

    assert rating() == [(1, 2.0, 1)]  # now cached
    session = _held(ann, sql, programme=ProgrammeFactory(feedback_anonymous=True))
    requests = [FeedbackRequestFactory(session=session) for _ in range(3)]
    overall = requests[0].form.questions.get(purpose=Question.Purpose.OVERALL)
    for request, value in zip(requests, (5, 4, 5), strict=True):
        with django_capture_on_commit_callbacks(execute=True):
            response_submit(request=request, person=request.person, data={overall.pk: value})
        if request is not requests[-1]:
            assert rating() == [(2, 2.0, 1)]  # held: nobody reads it yet
    assert rating() == [(2, 4.0, 4)]  # the batch of three released: (2 + 5 + 4 + 5) / 4


def test_skill_is_found_by_slug_and_name_case_insensitively(member_client):
    tag = TagFactory(name="Machine Learning", slug="machine-learning")
    SkillFactory(tag=tag)
    for query in ("machine-learning", "machine learning", "  MACHINE   learning "):
        assert member_client.get("/people/experts/", {"skill": query}).context["tag"] == tag


def test_unknown_skill_suggests_similar_ones_and_common_skills_are_listed(member_client):
    python = TagFactory(name="python")
    SkillFactory.create_batch(2, tag=python)
    SkillFactory(tag=TagFactory(name="pytest"))
    TagFactory(name="pyramid")  # nobody has it

    response = member_client.get("/people/experts/?skill=py")

    assert response.status_code == 200
    assert response.context["tag"] is None
    assert [t.name for t in response.context["similar"]] == ["pytest", "python"]
    assert [(t.name, t.n_people) for t in response.context["common"]] == [
        ("python", 2),
        ("pytest", 1),
    ]
    assert "No skill called “py” yet." in response.text
    assert (
        'Did you mean <a href="?skill=pytest">pytest</a>, <a href="?skill=python">python</a>?'
        in response.text
    )


def _common(client) -> list[tuple[str, int]]:
    response = client.get("/people/experts/")
    return [(t.name, t.n_people) for t in response.context["common"]]


def test_common_skills_follow_every_kind_of_change(
    member_client, person, django_capture_on_commit_callbacks
):
    from kshare.people.services import skills_set

    python = TagFactory(name="python")
    bob = PersonFactory()
    SkillFactory(person=bob, tag=python)
    assert _common(member_client) == [("python", 1)]

    def deactivate_bob() -> None:
        bob.is_active = False
        bob.save(update_fields=["is_active"])

    def rename_python() -> None:
        python.name = "Python 3"
        python.save()

    changes = [
        lambda: skills_set(person=person, skills=[("python", 3), ("rust", 1)]),  # bulk write
        deactivate_bob,
        rename_python,
        lambda: person.skills.filter(tag__name="rust").delete(),
    ]
    expected = [
        [("python", 2), ("rust", 1)],
        [("python", 1), ("rust", 1)],
        [("Python 3", 1), ("rust", 1)],
        [("Python 3", 1)],
    ]
    for change, counts in zip(changes, expected, strict=True):
        with django_capture_on_commit_callbacks(execute=True):
            change()
        assert _common(member_client) == counts
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        person.last_login = None
        person.save(update_fields=["last_login"])  # a sign-in changes no count
    assert callbacks == []


def test_common_skills_are_read_from_the_cache_until_something_changes(
    member_client, django_assert_num_queries
):
    SkillFactory(tag=TagFactory(name="go"))
    _common(member_client)
    # Session and person, the cache's version and counts (the database cache in production,
    # memory in tests: no query), nothing else without a skill asked for.
    with django_assert_num_queries(2):
        assert _common(member_client) == [("go", 1)]


@pytest.mark.parametrize("query", ["\x00", "k8s\x00", "x" * 5000, "%", "'; drop table"])
def test_odd_queries_never_fail(member_client, query):
    response = member_client.get("/people/experts/", {"skill": query})
    assert response.status_code == 200


def test_people_list_links_to_the_directory(member_client):
    assert 'href="/people/experts/"' in member_client.get("/people/").text


# Session and person (2), the skill (1), the ranking: the held sessions' host links and the
# skills' light rows (2), the page's skills (1), its sessions (1); the common skills and the
# sessions' ratings come from the cache (filled by the first request; the ratings once more
# after feedback changed: one query, ``results.overall_ratings_by_session``).
EXPERTS_QUERIES = 7


def test_query_count_is_constant(member_client, django_assert_num_queries):
    tag = TagFactory(name="python")

    def fill(n: int) -> None:
        for _ in range(n):
            skill = SkillFactory(tag=tag, level=3)
            session = _held(skill.person, tag)
            SessionHost.objects.create(session=_held(None, tag), person=skill.person)
            _rate(session, 4)
            assert session.state == State.HELD

    fill(10)
    member_client.get("/people/experts/")
    with django_assert_num_queries(EXPERTS_QUERIES + 1):
        assert member_client.get("/people/experts/?skill=python").status_code == 200
    with django_assert_num_queries(EXPERTS_QUERIES):
        assert member_client.get("/people/experts/?skill=python").status_code == 200
    fill(90)
    member_client.get("/people/experts/")
    with django_assert_num_queries(EXPERTS_QUERIES + 1):
        response = member_client.get("/people/experts/?skill=python")
    assert len(response.context["rows"]) == 24
    with django_assert_num_queries(EXPERTS_QUERIES):
        response = member_client.get("/people/experts/?skill=python&page=3")
    assert response.context["page_obj"].number == 3
