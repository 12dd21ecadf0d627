"""Capacity and the waitlist: first come first served, promotion on decline, no overbooking."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db.models import Count, Q

from kshare.people.tests.factories import PersonFactory
from kshare.sessions import services
from kshare.sessions.invitations import rsvp_set
from kshare.sessions.models import Invitation, Session
from kshare.sessions.selectors import session_counts, waitlist_position
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.sessions.tests.test_invitations import host_of, text_body
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db


def answer(session, person, response, capture=None):
    if capture is None:
        return rsvp_set(session=session, person=person, response=response)
    with capture(execute=True):
        return rsvp_set(session=session, person=person, response=response)


def full_session(capacity=2, waiting=2):
    session = ScheduledSessionFactory(capacity=capacity, title="Pairing on Rust")
    seated = [PersonFactory() for _ in range(capacity)]
    queued = [PersonFactory() for _ in range(waiting)]
    for person in seated + queued:
        answer(session, person, "yes")
    return session, seated, queued


def state(session):
    return [
        (i.person_id, i.response, i.waitlisted_at is not None)
        for i in Invitation.objects.filter(session=session).order_by("id")
    ]


def test_yes_to_a_full_session_joins_the_waitlist_in_order():
    session, _seated, _queued = full_session(capacity=2, waiting=3)
    assert [waitlist_position(invitation=i) for i in Invitation.objects.order_by("id")] == [
        None,
        None,
        1,
        2,
        3,
    ]
    counts = session_counts(session=session)
    assert (counts["going"], counts["waitlisted"], counts["seats_left"]) == (2, 3, 0)


def test_a_decline_promotes_the_first_waitlisted_and_tells_them(
    django_capture_on_commit_callbacks,
):
    session, seated, queued = full_session(capacity=2, waiting=2)
    queued[0].email = "first@example.com"
    queued[0].save()
    answer(session, seated[0], "no", django_capture_on_commit_callbacks)
    assert state(session) == [
        (seated[0].pk, "no", False),
        (seated[1].pk, "yes", False),
        (queued[0].pk, "yes", False),
        (queued[1].pk, "yes", True),
    ]
    assert waitlist_position(invitation=Invitation.objects.get(person=queued[1])) == 1
    [message] = mail.outbox
    assert (message.to, message.subject) == (
        ["first@example.com"],
        "A seat opened up: you are going to Pairing on Rust",
    )
    body = text_body(message)
    assert "a seat opened up in “Pairing on Rust”, and it is yours. You are going." in body
    assert "free the seat for the next person:\nhttp" in body
    assert "?answer=no\n" in body


def test_maybe_from_a_seat_holder_also_frees_the_seat(django_capture_on_commit_callbacks):
    session, seated, queued = full_session(capacity=1, waiting=1)
    answer(session, seated[0], "maybe", django_capture_on_commit_callbacks)
    assert state(session) == [(seated[0].pk, "maybe", False), (queued[0].pk, "yes", False)]
    assert len(mail.outbox) == 1


def test_waitlisted_people_who_say_no_or_maybe_leave_the_waitlist_without_promotions(
    django_capture_on_commit_callbacks,
):
    session, seated, queued = full_session(capacity=1, waiting=3)
    answer(session, queued[0], "no", django_capture_on_commit_callbacks)
    answer(session, queued[1], "maybe", django_capture_on_commit_callbacks)
    assert state(session) == [
        (seated[0].pk, "yes", False),
        (queued[0].pk, "no", False),
        (queued[1].pk, "maybe", False),
        (queued[2].pk, "yes", True),
    ]
    assert waitlist_position(invitation=Invitation.objects.get(person=queued[2])) == 1
    assert mail.outbox == []


def test_yes_again_keeps_the_place_in_line():
    session, _seated, queued = full_session(capacity=1, waiting=2)
    before = Invitation.objects.get(person=queued[0]).waitlisted_at
    again = answer(session, queued[0], "yes")
    assert again.waitlisted_at == before
    assert waitlist_position(invitation=again) == 1


def test_a_waitlisted_person_who_leaves_and_comes_back_goes_to_the_end():
    session, _seated, queued = full_session(capacity=1, waiting=2)
    answer(session, queued[0], "maybe")
    back = answer(session, queued[0], "yes")
    assert waitlist_position(invitation=back) == 2


def test_more_seats_move_the_waitlist_up(django_capture_on_commit_callbacks):
    session, _seated, _queued = full_session(capacity=1, waiting=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(
            session=Session.objects.get(pk=session.pk), by=host_of(session), capacity=3
        )
    assert [w for _, _, w in state(session)] == [False, False, False, True]
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(
            session=Session.objects.get(pk=session.pk), by=host_of(session), capacity=None
        )
    assert [w for _, _, w in state(session)] == [False] * 4
    assert len(mail.outbox) == 3


def test_fewer_seats_keep_who_already_has_one():
    session, _seated, _queued = full_session(capacity=2, waiting=0)
    services.session_update(
        session=Session.objects.get(pk=session.pk), by=host_of(session), capacity=1
    )
    late = answer(session, PersonFactory(), "yes")
    assert waitlist_position(invitation=late) == 1
    assert session_counts(session=session)["going"] == 2


# -- concurrency: SQLite (IMMEDIATE transactions) and PostgreSQL (row lock) ----------------------


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_yes_answers_fill_ten_seats_exactly():
    session = ScheduledSessionFactory(capacity=10)
    people = [PersonFactory() for _ in range(50)]

    errors = race(
        lambda i: rsvp_set(session=session, person=people[i], response="yes"),
        threads=50,
    )

    assert errors == []
    confirmed = Invitation.objects.filter(
        session=session, response="yes", waitlisted_at__isnull=True
    )
    waiting = Invitation.objects.filter(
        session=session, response="yes", waitlisted_at__isnull=False
    ).order_by("waitlisted_at", "id")
    assert (confirmed.count(), waiting.count()) == (10, 40)
    positions = [waitlist_position(invitation=i) for i in waiting]
    assert positions == list(range(1, 41))


@pytest.mark.django_db(transaction=True)
def test_concurrent_declines_and_answers_never_overbook():
    """Seat holders decline while newcomers say yes and waitlisted people change their minds:
    afterwards the seats are full (the waitlist is not empty) and never over capacity."""
    session = ScheduledSessionFactory(capacity=5)
    seated = [PersonFactory() for _ in range(5)]
    queued = [PersonFactory() for _ in range(10)]
    for person in seated + queued:
        rsvp_set(session=session, person=person, response="yes")
    newcomers = [PersonFactory() for _ in range(10)]

    def act(i: int) -> None:
        if i < 5:
            rsvp_set(session=session, person=seated[i], response="no")
        elif i < 10:
            rsvp_set(session=session, person=queued[i - 5], response="maybe")
        else:
            rsvp_set(session=session, person=newcomers[i - 10], response="yes")

    errors = race(act, threads=20)

    assert errors == []
    counts = Invitation.objects.filter(session=session).aggregate(
        going=Count("id", filter=Q(response="yes", waitlisted_at__isnull=True)),
        waiting=Count("id", filter=Q(response="yes", waitlisted_at__isnull=False)),
    )
    # 15 say yes in the end (5 queued who stayed, 10 newcomers): 5 seats, 10 waiting.
    assert counts == {"going": 5, "waiting": 10}
    assert not Invitation.objects.filter(person__in=seated, waitlisted_at__isnull=False).exists()
