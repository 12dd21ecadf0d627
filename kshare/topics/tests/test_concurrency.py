"""Double clicks and concurrent requests: exactly one +1 per person, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from kshare.people.tests.factories import PersonFactory
from kshare.topics.models import TopicVolunteer, TopicVote
from kshare.topics.services import topic_volunteer_set, topic_vote_set
from kshare.topics.tests.factories import TopicRequestFactory
from kshare.web.tests.race import race

THREADS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_plus_ones_by_one_person_leave_exactly_one_vote():
    request, person = TopicRequestFactory(), PersonFactory()

    errors = race(
        lambda i: topic_vote_set(request=request, person=person, on=True), threads=THREADS
    )

    assert errors == []
    assert TopicVote.objects.filter(request=request, person=person).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_volunteer_offers_by_one_person_leave_exactly_one_row():
    request, person = TopicRequestFactory(), PersonFactory()

    errors = race(
        lambda i: topic_volunteer_set(request=request, person=person, on=True, note="me"),
        threads=THREADS,
    )

    assert errors == []
    assert list(TopicVolunteer.objects.values_list("person", "note")) == [(person.pk, "me")]
