"""The session page's ideas section: the session at hand decides what its ideas show, and the
whole visibility rule is compiled into a query only when an idea became a session."""

import pytest

from kshare.ideas import selectors
from kshare.ideas.tests.factories import AreaIdeaFactory, IdeaFactory
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory

pytestmark = pytest.mark.django_db


def _secret(title: str = "Secret"):
    return ScheduledSessionFactory(title=title, visibility=Visibility.INVITE_ONLY)


def test_the_section_marks_only_the_sessions_the_reader_may_see(person, client):
    session = ScheduledSessionFactory()
    shown = IdeaFactory(session=session, title="Shown follow-up")
    shown.promoted_session = ScheduledSessionFactory(title="Open workshop")
    shown.save()
    hidden = IdeaFactory(session=session, title="Hidden follow-up")
    hidden.promoted_session = _secret("Private workshop")
    hidden.save()
    client.force_login(person)

    html = client.get(f"/sessions/{session.pk}/").content.decode()

    assert "Shown follow-up" in html and "Hidden follow-up" in html
    link = f'<a href="/sessions/{shown.promoted_session_id}/">Open workshop</a>'
    assert f"Became session: {link}" in html
    assert "Private workshop" not in html


def test_marking_asks_nothing_when_no_idea_became_a_session(person, django_assert_num_queries):
    session = ScheduledSessionFactory()
    ideas = [IdeaFactory(session=session), IdeaFactory(session=session)]

    with django_assert_num_queries(0):
        marked = selectors.promoted_visible_mark(ideas, person=person)

    assert [idea.promoted_visible for idea in marked] == [False, False]


def test_marking_asks_once_for_all_ideas_that_became_sessions(person, django_assert_num_queries):
    session = ScheduledSessionFactory()
    ideas = []
    for promoted in (ScheduledSessionFactory(), _secret(), ScheduledSessionFactory(), None):
        idea = IdeaFactory(session=session, promoted_session=promoted)
        ideas.append(idea)

    with django_assert_num_queries(1):
        marked = selectors.promoted_visible_mark(ideas, person=person)

    assert [idea.promoted_visible for idea in marked] == [True, False, True, False]


def test_ideas_a_session_came_from_are_those_the_reader_may_see(person):
    session = ScheduledSessionFactory()
    from_open = IdeaFactory(title="From an open session", promoted_session=session)
    from_area = AreaIdeaFactory(title="From an area", promoted_session=session)
    IdeaFactory(title="From a secret session", session=_secret(), promoted_session=session)
    IdeaFactory(title="Another session's", promoted_session=ScheduledSessionFactory())

    member = [i.title for i in selectors.ideas_promoted_into(person=person, session=session)]
    admin = selectors.ideas_promoted_into(person=AdminFactory(), session=session)
    gone = selectors.ideas_promoted_into(person=PersonFactory(is_active=False), session=session)

    assert member == [from_open.title, from_area.title]
    assert [i.title for i in admin] == [from_open.title, from_area.title, "From a secret session"]
    assert gone == []


def test_ideas_a_session_came_from_cost_one_query_without_session_sources(
    person, django_assert_num_queries
):
    session = ScheduledSessionFactory()
    AreaIdeaFactory(promoted_session=session)

    with django_assert_num_queries(1):
        found = selectors.ideas_promoted_into(person=person, session=session)

    assert len(found) == 1


def test_a_sessions_ideas_are_most_voted_first_and_none_for_an_inactive_reader(person):
    from kshare.ideas.tests.factories import IdeaVoteFactory

    session = ScheduledSessionFactory()
    quiet, loud = IdeaFactory(session=session), IdeaFactory(session=session)
    IdeaFactory()  # another session's
    IdeaVoteFactory(idea=loud)

    ideas = list(selectors.ideas_from_session(person=person, session=session))
    inactive = selectors.ideas_from_session(person=PersonFactory(is_active=False), session=session)

    assert [(i.pk, i.vote_total) for i in ideas] == [(loud.pk, 1), (quiet.pk, 0)]
    assert list(inactive) == []
