"""One vote per person, even when requests race (double clicks, two tabs, retries)."""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from kshare.ideas import services
from kshare.ideas.models import IdeaVote
from kshare.ideas.tests.factories import IdeaFactory
from kshare.people.tests.factories import PersonFactory

THREADS = 10


def _retry_sqlite_table_lock(target) -> None:
    """The SQLite test database is in memory with a shared cache, where a concurrent writer
    fails at once with "database table is locked" instead of waiting for the busy timeout as
    the file database kshare runs on does. Retrying stands in for that wait; PostgreSQL runs
    the race without it."""
    for _ in range(200):
        try:
            target()
            return
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.01)
    target()


def _race(target) -> list[BaseException]:
    """Run ``target(i)`` in THREADS threads released at once, each on its own DB connection."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            _retry_sqlite_table_lock(lambda: target(i))
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_of_one_person_store_exactly_one_vote():
    idea, person = IdeaFactory(), PersonFactory()
    results: list[bool] = []

    errors = _race(
        lambda i: results.append(services.idea_vote_set(idea=idea, person=person, on=True))
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

    errors = _race(vote)

    assert errors == []
    assert IdeaVote.objects.filter(idea=idea).count() == THREADS
