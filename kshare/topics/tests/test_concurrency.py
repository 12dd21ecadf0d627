"""Double clicks and concurrent requests: exactly one +1 per person, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from kshare.people.tests.factories import PersonFactory
from kshare.topics.models import TopicVolunteer, TopicVote
from kshare.topics.services import topic_volunteer_set, topic_vote_set
from kshare.topics.tests.factories import TopicRequestFactory

THREADS = 6


def _waiting_for_locks(action):
    """SQLite's in-memory test database shares one cache between connections, where a busy
    table fails at once ("database table is locked") instead of waiting for the busy timeout
    as kshare's file databases do. Waiting here gives the same behaviour; PostgreSQL needs none.
    """
    if connection.vendor != "sqlite":
        return action

    def patient() -> None:
        for _ in range(200):
            try:
                return action()
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                time.sleep(0.01)
        raise TimeoutError("the table stayed locked")

    return patient


def _race(action) -> list[BaseException]:
    """Run ``action`` in THREADS threads at once, each with its own database connection."""
    action = _waiting_for_locks(action)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            action()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_plus_ones_by_one_person_leave_exactly_one_vote():
    request, person = TopicRequestFactory(), PersonFactory()

    errors = _race(lambda: topic_vote_set(request=request, person=person, on=True))

    assert errors == []
    assert TopicVote.objects.filter(request=request, person=person).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_volunteer_offers_by_one_person_leave_exactly_one_row():
    request, person = TopicRequestFactory(), PersonFactory()

    errors = _race(lambda: topic_volunteer_set(request=request, person=person, on=True, note="me"))

    assert errors == []
    assert list(TopicVolunteer.objects.values_list("person", "note")) == [(person.pk, "me")]
