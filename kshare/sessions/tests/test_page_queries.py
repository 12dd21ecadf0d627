"""The pages people open most cost a fixed number of queries, however much data there is.

Each test measures a page twice: on a small world and on one with ten times the rows (sessions,
ideas, materials, invitations …), and asserts the exact same number both times.
"""

from __future__ import annotations

import pytest

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

# Session and person (2); the session with hosts, tags, agenda, teams, history and its
# authors (6); "may I edit" (1); my invitation and the counts (3); ideas on it and ideas it
# came from (2); materials and transcripts (2); questions (1); catch-up state (1); star (1).
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
