"""The pages people open most cost a fixed number of queries, however much data there is.

Each test measures a page twice: on a small world and on one with ten times the rows (sessions,
ideas, materials, invitations …), and asserts the exact same number both times.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kshare.ideas.tests.factories import IdeaFactory, IdeaVoteFactory
from kshare.library.tests.factories import MaterialFactory
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
)

pytestmark = pytest.mark.django_db

# Session and person (2); may the reader see it (1: the rule asked of this one session); the
# session with hosts, tags, agenda, teams, and history with its authors joined (6); "may I
# edit" (none for a member: the host links are loaded); my invitation and the counts (3); ideas
# on it and ideas it came from (2); materials and transcripts (2); questions (1); catch-up
# state (1); star (1).
SESSION_PAGE_QUERIES = 19


def _grow(session, person, n: int) -> None:
    """``n`` more ideas (with votes), materials and attendees on ``session``, and ``n`` other
    sessions with ideas of their own elsewhere."""
    for _ in range(n):
        idea = IdeaFactory(session=session)
        IdeaVoteFactory(idea=idea)
        MaterialFactory(session=session)
        AttendanceFactory(session=session)
        other = PastSessionFactory(visibility=Visibility.INVITE_ONLY)
        IdeaFactory(session=other)
        ScheduledSessionFactory()


def test_held_session_page_costs_the_same_with_ten_times_the_rows(
    member_client, person, django_assert_num_queries
):
    session = PastSessionFactory(host=PersonFactory())
    AttendanceFactory(session=session, person=person)
    _grow(session, person, 2)
    with django_assert_num_queries(SESSION_PAGE_QUERIES):
        small = member_client.get(f"/sessions/{session.pk}/")
    _grow(session, person, 18)
    with django_assert_num_queries(SESSION_PAGE_QUERIES):
        big = member_client.get(f"/sessions/{session.pk}/")
    assert (small.status_code, big.status_code) == (200, 200)
    assert (len(small.context["idea_list"]), len(big.context["idea_list"])) == (2, 20)


# Session and person (2), one page and one row of sessions with their hosts and tags (3),
# the stars (1).
UPCOMING_QUERIES = 6


def _upcoming(n: int, *, first_day: int) -> list:
    sessions = []
    for i in range(n):
        start = timezone.now().replace(microsecond=0) + timedelta(days=first_day + i, hours=1)
        sessions.append(ScheduledSessionFactory(start=start, end=start + timedelta(hours=1)))
    return sessions


def _page(client, **position: str):
    return client.get("/sessions/upcoming/", position)


def _titles(response) -> list[str]:
    return [s.title for s in response.context["sessions"]]


def test_upcoming_pages_forward_and_back_by_position(member_client):
    sessions = _upcoming(45, first_day=1)
    ScheduledSessionFactory(  # not visible to me: never listed, never counted
        start=sessions[0].start, visibility=Visibility.INVITE_ONLY, title="Secret"
    )
    titles = [s.title for s in sessions]

    first = member_client.get("/sessions/upcoming/")
    assert _titles(first) == titles[:20]
    assert first.context["keyset"].previous_before is None
    second = member_client.get("/sessions/upcoming/", {"after": first.context["keyset"].next_after})
    assert _titles(second) == titles[20:40]
    third = member_client.get("/sessions/upcoming/", {"after": second.context["keyset"].next_after})
    assert _titles(third) == titles[40:]
    assert third.context["keyset"].next_after is None
    assert 'rel="next"' not in third.text
    back = member_client.get(
        "/sessions/upcoming/", {"before": third.context["keyset"].previous_before}
    )
    assert _titles(back) == titles[20:40]
    start = member_client.get(
        "/sessions/upcoming/", {"before": back.context["keyset"].previous_before}
    )
    assert _titles(start) == titles[:20]
    assert start.context["keyset"].previous_before is None
    assert 'rel="prev"' not in start.text


def test_upcoming_sessions_at_the_same_start_are_paged_by_id(member_client):
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    sessions = [
        ScheduledSessionFactory(start=start, end=start + timedelta(hours=1)) for _ in range(25)
    ]
    first = member_client.get("/sessions/upcoming/")
    second = member_client.get("/sessions/upcoming/", {"after": first.context["keyset"].next_after})
    assert _titles(first) + _titles(second) == [s.title for s in sessions]


@pytest.mark.parametrize("position", ["x", "1.", ".2", "9" * 30 + ".1", "-5.-5", "1.2.3"])
def test_a_malformed_position_shows_the_first_page(member_client, position):
    sessions = _upcoming(3, first_day=1)
    for name in ("after", "before"):
        response = member_client.get("/sessions/upcoming/", {name: position})
        assert response.status_code == 200
        assert _titles(response) == [s.title for s in sessions]


def test_upcoming_costs_the_same_with_ten_times_the_sessions(
    member_client, django_assert_num_queries
):
    _upcoming(30, first_day=1)
    with django_assert_num_queries(UPCOMING_QUERIES):
        small = member_client.get("/sessions/upcoming/")
    _upcoming(270, first_day=40)
    with django_assert_num_queries(UPCOMING_QUERIES):
        big = member_client.get(
            "/sessions/upcoming/", {"after": small.context["keyset"].next_after}
        )
    assert (len(small.context["sessions"]), len(big.context["sessions"])) == (20, 20)


# Session and person (2); coming up with hosts and tags (3); what I host with hosts and tags
# (3); feedback forms waiting (1); recommendations: the cached ones, and with none trained yet
# the cold start's skills, interests and last training run (4); stars of each list (2).
HOME_QUERIES = 15


def test_home_costs_the_same_with_ten_times_the_sessions(
    member_client, person, django_assert_num_queries
):
    def grow(n: int) -> None:
        _upcoming(n, first_day=1)
        for _ in range(n):
            ScheduledSessionFactory(host=person)
            PastSessionFactory(host=person)
            PastSessionFactory(host=PersonFactory())

    grow(6)
    with django_assert_num_queries(HOME_QUERIES):
        small = member_client.get("/")
    grow(54)
    with django_assert_num_queries(HOME_QUERIES):
        big = member_client.get("/")
    for response in (small, big):
        assert (len(response.context["upcoming"]), len(response.context["hosting"])) == (5, 5)
