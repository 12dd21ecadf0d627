"""One vote per person, even when requests race (double clicks, two tabs, retries)."""

import pytest

from kshare.ideas import services
from kshare.ideas.models import IdeaVote
from kshare.ideas.tests.factories import IdeaFactory
from kshare.people.tests.factories import PersonFactory
from kshare.web.tests.race import race

THREADS = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_of_one_person_store_exactly_one_vote():
    idea, person = IdeaFactory(), PersonFactory()
    results: list[bool] = []

    errors = race(
        lambda i: results.append(services.idea_vote_set(idea=idea, person=person, on=True)),
        threads=THREADS,
    )

    assert errors == []
    assert results == [True] * THREADS
    assert IdeaVote.objects.filter(idea=idea, person=person).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_of_different_people_are_all_counted():
    idea = IdeaFactory()
    people = [PersonFactory() for _ in range(THREADS)]

    def vote(i: int) -> None:
        services.idea_vote_set(idea=idea, person=people[i], on=True)

    errors = race(vote, threads=THREADS)

    assert errors == []
    assert IdeaVote.objects.filter(idea=idea).count() == THREADS
