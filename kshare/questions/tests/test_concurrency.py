"""Votes stay exact when requests race: many people at once, or one person's double click."""

import pytest
from django.core.exceptions import ValidationError

from kshare.ideas.models import Idea
from kshare.people.tests.factories import PersonFactory
from kshare.questions import services
from kshare.questions.models import Question, QuestionVote
from kshare.questions.services import Vote
from kshare.questions.tests.factories import QuestionFactory
from kshare.web.tests.race import race

THREADS = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_upvotes_of_different_people_count_exactly():
    question = QuestionFactory()
    people = [PersonFactory() for _ in range(THREADS)]

    errors = race(
        lambda i: services.question_vote_set(question=question, person=people[i], on=True),
        threads=THREADS,
    )

    assert errors == []
    assert Question.objects.get().vote_count == THREADS
    assert QuestionVote.objects.filter(question=question).count() == THREADS


@pytest.mark.django_db(transaction=True)
def test_one_person_voting_twice_at_once_stores_one_vote_without_error():
    question, person = QuestionFactory(), PersonFactory()
    results: list[Vote] = []

    errors = race(
        lambda i: results.append(
            services.question_vote_set(question=question, person=person, on=True)
        ),
        threads=THREADS,
    )

    assert errors == []
    assert sorted(results) == sorted([Vote.ADDED] + [Vote.ALREADY] * (THREADS - 1))
    assert Question.objects.get().vote_count == 1
    assert QuestionVote.objects.filter(question=question).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_and_votes_keep_the_count_equal_to_the_votes():
    question = QuestionFactory()
    people = [PersonFactory() for _ in range(THREADS)]
    for person in people[: THREADS // 2]:
        services.question_vote_set(question=question, person=person, on=True)

    # The first half withdraws their votes while the second half votes.
    def act(i: int) -> None:
        services.question_vote_set(question=question, person=people[i], on=i >= THREADS // 2)

    errors = race(act, threads=THREADS)

    assert errors == []
    assert Question.objects.get().vote_count == THREADS - THREADS // 2
    assert QuestionVote.objects.filter(question=question).count() == THREADS - THREADS // 2


@pytest.mark.django_db(transaction=True)
def test_converting_twice_at_once_makes_one_idea():
    question = QuestionFactory()
    host = question.session.hosts.get()
    outcomes: list[str] = []

    def convert(i: int) -> None:
        try:
            services.question_convert(question=question, by=host, into="idea")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        else:
            outcomes.append("converted")

    errors = race(convert, threads=4)

    assert errors == []
    assert sorted(outcomes) == ["This question has already become an idea."] * 3 + ["converted"]
    assert Idea.objects.filter(session=question.session).count() == 1
