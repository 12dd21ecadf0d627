"""Topic suggestions on the propose page ("choose a familiar topic")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.people.tests.factories import PersonFactory, SkillFactory
from kshare.sessions.models import Session, State, Visibility
from kshare.sessions.tests.factories import (
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.tags.tests.factories import TagFactory
from kshare.topics.models import TopicRequest
from kshare.topics.selectors import Suggestion, topic_suggestions_for
from kshare.topics.tests.factories import TopicRequestFactory, TopicVoteFactory

pytestmark = pytest.mark.django_db


def _tagged(session: Session, *tags) -> Session:
    session.tags.set(tags)
    return session


def test_suggestions_for_a_constructed_world():
    me = PersonFactory()
    dbt, k8s, sql, go, rust, excel = (
        TagFactory(name=n) for n in ("dbt", "kubernetes", "sql", "go", "rust", "excel")
    )
    SkillFactory(person=me, tag=dbt, level=2)
    SkillFactory(person=me, tag=k8s, level=3)
    SkillFactory(person=me, tag=sql, level=3)
    SkillFactory(person=me, tag=go, level=2)
    SkillFactory(person=me, tag=rust, level=3)
    SkillFactory(person=me, tag=excel, level=1)  # basic: never suggested on its own
    scala = SkillFactory(person=me, tag=TagFactory(name="scala"), level=3).tag
    # Requests: most +1s first; tags that are not my skills do not match.
    dbt_request = TopicRequestFactory(title="dbt for analysts", tags=[dbt, TagFactory(name="x")])
    TopicVoteFactory.create_batch(3, request=dbt_request)
    both = TopicRequestFactory(title="SQL and dbt", tags=[sql, dbt])
    TopicVoteFactory(request=both)
    TopicRequestFactory(title="Not mine", tags=[TagFactory(name="cobol")])
    TopicRequestFactory(title="Mine", tags=[k8s], requester=me)
    TopicRequestFactory(title="Closed", tags=[dbt], status=TopicRequest.Status.CLOSED)
    TopicRequestFactory(title="Answered", tags=[dbt], session=SessionFactory())
    # Skills: kubernetes was presented (held), go is scheduled, rust only proposed, and an
    # invite-only session on scala that I cannot see does not count as presented. sql is named
    # by a request suggestion already.
    _tagged(PastSessionFactory(), k8s)
    _tagged(ScheduledSessionFactory(), go)
    _tagged(SessionFactory(state=State.PROPOSED), rust)
    _tagged(PastSessionFactory(visibility=Visibility.INVITE_ONLY), scala)

    assert topic_suggestions_for(person=me) == [
        Suggestion(
            title="dbt for analysts",
            reason="Requested by 3 people · matches your skill: dbt",
            url=f"/sessions/propose/?request={dbt_request.pk}",
        ),
        Suggestion(
            title="SQL and dbt",
            reason="Requested by 1 person · matches your skill: sql",
            url=f"/sessions/propose/?request={both.pk}",
        ),
        Suggestion(
            title="rust",
            reason="Your skill (expert): rust — nobody has presented on it yet",
            url="/sessions/propose/?skill=rust",
        ),
        Suggestion(
            title="scala",
            reason="Your skill (expert): scala — nobody has presented on it yet",
            url="/sessions/propose/?skill=scala",
        ),
    ]
    assert len(topic_suggestions_for(person=me, limit=1)) == 1


def test_skills_nobody_presented_fill_up_to_the_limit_strongest_first():
    me = PersonFactory()
    for name, level in (("a", 2), ("b", 3), ("c", 3), ("d", 2)):
        SkillFactory(person=me, tag=TagFactory(name=name), level=level)
    assert [s.title for s in topic_suggestions_for(person=me, limit=3)] == ["b", "c", "a"]


def test_no_skills_no_suggestions():
    assert topic_suggestions_for(person=PersonFactory()) == []


def test_suggestions_cost_a_bounded_number_of_queries(django_assert_max_num_queries):
    me = PersonFactory()
    for i in range(3):
        tag = TagFactory(name=f"skill {i}")
        SkillFactory(person=me, tag=tag, level=3)
        TopicRequestFactory(tags=[tag])
    with CaptureQueriesContext(connection) as few:
        topic_suggestions_for(person=me, limit=20)
    for i in range(3, 30):
        tag = TagFactory(name=f"skill {i}")
        SkillFactory(person=me, tag=tag, level=3)
        TopicRequestFactory(tags=[tag])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(topic_suggestions_for(person=me, limit=20)) == 20
