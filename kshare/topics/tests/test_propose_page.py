"""The propose page: suggestions, pre-filling from a request or a skill, linking on submit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.people.tests.factories import SkillFactory
from kshare.sessions.models import Session
from kshare.tags.tests.factories import TagFactory
from kshare.topics.models import TopicRequest, TopicVolunteer
from kshare.topics.tests.factories import TopicRequestFactory, TopicVoteFactory

pytestmark = pytest.mark.django_db


def test_propose_page_suggests_familiar_topics(member_client, person):
    dbt = TagFactory(name="dbt")
    SkillFactory(person=person, tag=dbt, level=3)
    request = TopicRequestFactory(title="dbt for analysts", tags=[dbt])
    TopicVoteFactory.create_batch(2, request=request)

    response = member_client.get("/sessions/propose/")

    assert response.status_code == 200
    assert [(s.title, s.url) for s in response.context["suggestions"]] == [
        ("dbt for analysts", f"/sessions/propose/?request={request.pk}")
    ]
    assert "Choose a familiar topic" in response.text
    assert "Requested by 2 people · matches your skill: dbt" in response.text


def test_propose_page_without_skills_points_to_the_profile(member_client):
    response = member_client.get("/sessions/propose/")
    assert response.context["suggestions"] == []
    assert 'href="/people/me/edit/"' in response.text


def test_a_request_prefills_the_form_and_the_new_session_answers_it(member_client, person):
    dbt, sql = TagFactory(name="dbt"), TagFactory(name="sql")
    request = TopicRequestFactory(
        title="dbt for analysts", description="From SQL to models.", tags=[dbt, sql]
    )

    page = member_client.get(f"/sessions/propose/?request={request.pk}")
    form = page.context["form"]
    assert (form["title"].value(), form["abstract"].value(), form["tags_text"].value()) == (
        "dbt for analysts",
        "From SQL to models.",
        "dbt, sql",
    )
    assert f'<input type="hidden" name="topic_request" value="{request.pk}">' in page.text

    response = member_client.post(
        "/sessions/propose/",
        {
            "title": "dbt for analysts",
            "abstract": "From SQL to models.",
            "format": "talk",
            "level": "all",
            "visibility": "public",
            "tags_text": "dbt, sql",
            "topic_request": str(request.pk),
        },
    )

    session = Session.objects.get()
    request.refresh_from_db()
    assert response.url == f"/sessions/{session.pk}/"
    assert (request.session, request.status) == (session, TopicRequest.Status.OPEN)
    assert list(TopicVolunteer.objects.values_list("request", "person")) == [
        (request.pk, person.pk)
    ]


def test_a_skill_prefills_the_tags(member_client):
    TagFactory(name="Kubernetes", slug="kubernetes")
    form = member_client.get("/sessions/propose/?skill=kubernetes").context["form"]
    assert (form["title"].value(), form["tags_text"].value()) == (None, "Kubernetes")


@pytest.mark.parametrize(
    "query", ["?request=abc", "?request=999999", "?request=-1", "?request=1%00", "?skill=%00x"]
)
def test_bad_prefill_parameters_show_the_empty_form(member_client, query):
    response = member_client.get("/sessions/propose/" + query)
    assert response.status_code == 200
    assert response.context["topic_request"] is None
    assert response.context["form"]["title"].value() is None


def test_a_closed_request_is_not_linked(member_client):
    request = TopicRequestFactory(status=TopicRequest.Status.CLOSED)
    response = member_client.post(
        "/sessions/propose/",
        {
            "title": "Anyway",
            "format": "talk",
            "level": "all",
            "visibility": "public",
            "topic_request": str(request.pk),
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.session is None


def test_propose_page_query_count_is_bounded(member_client, person, django_assert_max_num_queries):
    def fill(start: int, stop: int) -> None:
        for i in range(start, stop):
            tag = TagFactory(name=f"skill {i}")
            SkillFactory(person=person, tag=tag, level=3)
            TopicVoteFactory(request=TopicRequestFactory(tags=[tag]))

    fill(0, 10)
    with CaptureQueriesContext(connection) as small:
        assert member_client.get("/sessions/propose/").status_code == 200
    fill(10, 100)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert member_client.get("/sessions/propose/").status_code == 200
