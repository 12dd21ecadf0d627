"""Concurrency: a room full of people scanning the QR code at once (SQLite: IMMEDIATE
transactions; PostgreSQL: the session row lock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kshare.attendance.checkin import checkin
from kshare.attendance.models import AttendanceChange
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Attendance
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.race import race


def running_session():
    start = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    return ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45))


@pytest.mark.django_db(transaction=True)
def test_a_hundred_simultaneous_check_ins_record_a_hundred_attendees():
    session = running_session()
    people = [PersonFactory() for _ in range(100)]

    errors = race(
        lambda i: checkin(session=session, person=people[i], method=Attendance.Method.CHECK_IN),
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
