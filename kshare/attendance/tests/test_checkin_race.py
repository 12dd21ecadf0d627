"""Concurrency: a room full of people scanning the QR code at once (SQLite: IMMEDIATE
transactions; PostgreSQL: the session row lock).

A hundred threads are released together. On SQLite each has its own connection for the whole
race. A PostgreSQL server allows 100 connections by default, shared with the test's own and
with other test processes, so there the hundred check-ins go through at most
``POSTGRES_CONNECTIONS`` connections at a time, as a web server's worker pool would: every
request still arrives at once and waits for the session row lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from kshare.attendance.checkin import checkin, checkin_token
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Attendance, AttendanceChange
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.race import race

POSTGRES_CONNECTIONS = 40


def pooled(action: Callable[[int], object]) -> Callable[[int], object]:
    """``action`` limited to POSTGRES_CONNECTIONS open connections at once on PostgreSQL."""
    if connection.vendor != "postgresql":
        return action
    slots = threading.BoundedSemaphore(POSTGRES_CONNECTIONS)

    def run(i: int) -> None:
        with slots:
            try:
                action(i)
            finally:
                connections.close_all()

    return run


def running_session():
    start = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    return ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45))


@pytest.mark.django_db(transaction=True)
def test_a_hundred_simultaneous_check_ins_record_a_hundred_attendees():
    session = running_session()
    people = [PersonFactory() for _ in range(100)]

    errors = race(
        pooled(
            lambda i: checkin(session=session, person=people[i], method=Attendance.Method.CHECK_IN)
        ),
        threads=100,
    )

    assert errors == []
    assert sorted(Attendance.objects.filter(session=session).values_list("person", flat=True)) == (
        sorted(p.pk for p in people)
    )
    changes = AttendanceChange.objects.filter(session=session)
    assert changes.count() == 100
    assert sorted(changes.values_list("person", "by", "action")) == sorted(
        (p.pk, p.pk, "added") for p in people
    )


@pytest.mark.django_db(transaction=True)
def test_one_person_checking_in_from_many_tabs_at_once_is_recorded_once():
    session = running_session()
    person = PersonFactory()

    methods = [Attendance.Method.CHECK_IN, Attendance.Method.REMOTE]
    errors = race(
        lambda i: checkin(session=session, person=person, method=methods[i % 2]), threads=20
    )

    assert errors == []
    assert Attendance.objects.filter(session=session, person=person).count() == 1
    assert AttendanceChange.objects.filter(session=session, person=person).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_hundred_people_posting_the_check_in_link_at_once_are_all_checked_in():
    """The same through the whole stack: middleware, sign-in session, the view, the template."""
    session = running_session()
    people = [PersonFactory() for _ in range(100)]
    clients = []
    for person in people:
        client = Client()
        client.force_login(person)
        clients.append(client)
    link = f"/check-in/{checkin_token(session)}/"
    statuses: dict[int, int] = {}

    def post(i: int) -> None:
        statuses[i] = clients[i].post(link).status_code

    errors = race(pooled(post), threads=100)

    assert errors == []
    assert statuses == dict.fromkeys(range(100), 200)
    assert Attendance.objects.filter(session=session, method="check_in").count() == 100
    assert AttendanceChange.objects.filter(session=session).count() == 100
