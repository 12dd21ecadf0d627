"""The recommender's blocks on the home, catch-up, invite, topic and propose pages."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kshare.library.tests.factories import MaterialFactory
from kshare.people.tests.factories import PersonFactory
from kshare.recommend.models import Recommendation
from kshare.recommend.services import recommend_train
from kshare.sessions.models import Invitation
from kshare.sessions.tests.factories import PastSessionFactory, ScheduledSessionFactory
from kshare.tags.models import Tag
from kshare.topics.tests.factories import TopicRequestFactory

from .conftest import skill

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _same_queries(client, url, grow, django_assert_num_queries, **params):
    grow(2)
    with CaptureQueriesContext(connection) as small:
        client.get(url, params)
    grow(8)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url, params)


# --- home ----------------------------------------------------------------------------------


def test_home_lists_recommended_sessions_with_reasons(client, world):
    recommend_train()
    client.force_login(world.alice)
    page = _text(client.get("/"))
    assert 'id="recommended-sessions-heading">Recommended for you</h2>' in page
    assert "Why: <strong>You rated 'Intro to SQL' 5/5</strong>" in page
    assert page.index("Advanced SQL") < page.index("Pandas at scale")
    assert "SQL for the board" not in page


def test_home_for_someone_with_nothing_to_recommend_points_to_the_profile(client, db):
    client.force_login(PersonFactory())
    page = _text(client.get("/"))
    assert "Add skills and interests to your profile and kshare suggests sessions." in page
    assert f'href="{reverse("people:edit_profile")}"' in page


def test_home_query_count_is_constant_from_the_cache(client, world, django_assert_num_queries):
    client.force_login(world.alice)
    sql = Tag.objects.get(name="sql")

    def grow(n):
        for _ in range(n):
            session = ScheduledSessionFactory(programme=world.advanced_sql.programme)
            session.tags.add(sql)
        Recommendation.objects.all().delete()
        recommend_train()

    _same_queries(client, "/", grow, django_assert_num_queries)


def test_home_query_count_is_constant_when_cold(client, world, django_assert_num_queries):
    newcomer = PersonFactory()
    skill(newcomer, "pandas")
    client.force_login(newcomer)
    pandas = Tag.objects.get(name="pandas")

    def grow(n):
        for _ in range(n):
            ScheduledSessionFactory(programme=world.advanced_sql.programme).tags.add(pandas)

    _same_queries(client, "/", grow, django_assert_num_queries)


# --- catch-up ------------------------------------------------------------------------------


def test_catchup_page_lists_recordings_you_may_like(client, world):
    recommend_train()
    client.force_login(world.alice)
    page = _text(client.get(reverse("library:catchup")))
    assert 'id="recommended-recordings-heading">Recordings you may like</h2>' in page
    assert f'href="{world.k8s_basics.get_absolute_url()}#materials">Kubernetes basics</a>' in page


def test_catchup_recordings_query_count_is_constant(client, world, django_assert_num_queries):
    newcomer = PersonFactory()
    skill(newcomer, "pandas")
    client.force_login(newcomer)
    pandas = Tag.objects.get(name="pandas")

    def grow(n):
        for _ in range(n):
            session = PastSessionFactory(programme=world.intro_sql.programme)
            session.tags.add(pandas)
            MaterialFactory(session=session)

    _same_queries(client, reverse("library:catchup"), grow, django_assert_num_queries)


# --- invite dialog -------------------------------------------------------------------------


def test_invite_dialog_suggests_invitees_with_reasons_and_checkboxes(client, world):
    expert = PersonFactory(display_name="Erin Expert")
    skill(expert, "sql", level=3)
    client.force_login(world.host)
    url = f"/sessions/{world.advanced_sql.pk}/invite/"
    page = _text(client.get(url))
    assert '<h2 id="suggested-heading">Suggested invitees</h2>' in page
    assert (
        f'<input type="checkbox" id="suggested-{expert.pk}" name="people" value="{expert.pk}" '
        'form="invite-form"> Erin Expert <small class="recommendation-reason">— '
        "skill: sql (expert)</small>"
    ) in page
    response = client.post(url, {"people": [str(expert.pk)]})
    assert response.status_code == 302
    assert Invitation.objects.filter(session=world.advanced_sql, person=expert).exists()
    assert "Erin Expert" not in _text(client.get(url)).split('id="invite-form"')[0]


def test_invite_dialog_without_suggestions_shows_no_block(client, world):
    client.force_login(world.host)
    page = _text(client.get(f"/sessions/{world.k8s_next.pk}/invite/"))
    assert "Suggested invitees" not in page


def test_invite_dialog_query_count_is_constant(client, world, django_assert_num_queries):
    client.force_login(world.host)

    def grow(n):
        for _ in range(n):
            skill(PersonFactory(), "sql", level=2)

    _same_queries(
        client, f"/sessions/{world.advanced_sql.pk}/invite/", grow, django_assert_num_queries
    )


def test_invite_dialog_is_still_only_for_editors(client, world):
    client.force_login(world.alice)
    assert client.get(f"/sessions/{world.advanced_sql.pk}/invite/").status_code == 403


# --- topic requests and the propose page ---------------------------------------------------


def test_topic_page_lists_who_could_host(client, world):
    topic = TopicRequestFactory(title="Window functions, properly")
    topic.tags.add(Tag.objects.get(name="sql"))
    expert = PersonFactory(display_name="Erin Expert")
    skill(expert, "sql", level=3)
    client.force_login(world.carol)
    page = _text(client.get(topic.get_absolute_url()))
    assert '<h2 id="who-could-host-heading">Who could host this</h2>' in page
    assert page.index("Hana Host") < page.index("Erin Expert")
    assert "Hosted 'Intro to SQL'; rated 5.0/5 by attendees" in page
    assert "Skill: sql (expert)" in page


def test_topic_page_query_count_is_constant(client, world, django_assert_num_queries):
    topic = TopicRequestFactory(title="Window functions, properly")
    topic.tags.add(Tag.objects.get(name="sql"))
    client.force_login(world.carol)

    def grow(n):
        for _ in range(n):
            skill(PersonFactory(), "sql", level=2)

    _same_queries(client, topic.get_absolute_url(), grow, django_assert_num_queries)


def test_propose_page_ranks_requests_the_person_could_host(client, world):
    skill(world.carol, "kubernetes", level=3)
    wanted = TopicRequestFactory(title="Kubernetes for data scientists")
    wanted.tags.add(Tag.objects.get(name="kubernetes"))
    client.force_login(world.carol)
    page = _text(client.get(reverse("sessions:propose")))
    assert (
        f'<a href="/sessions/propose/?request={wanted.pk}">Kubernetes for data scientists</a>'
        in page
    )
    assert "matches your skill: kubernetes" in page


def test_propose_page_query_count_is_bounded(client, world, django_assert_max_num_queries):
    # Many matching requests fill the list before the skill suggestions are needed (one query
    # fewer), so 10 requests cost at most what 2 cost.
    skill(world.carol, "kubernetes", level=3)
    client.force_login(world.carol)
    k8s = Tag.objects.get(name="kubernetes")

    def grow(n):
        for i in range(n):
            TopicRequestFactory(title=f"Kubernetes topic {i}").tags.add(k8s)

    _same_queries(client, reverse("sessions:propose"), grow, django_assert_max_num_queries)


def test_idea_page_lists_who_could_run_it(client, world):
    from kshare.ideas.tests.factories import IdeaFactory

    idea = IdeaFactory(title="SQL katas every month", session=world.intro_sql, author=world.bob)
    expert = PersonFactory(display_name="Erin Expert")
    skill(expert, "sql", level=3)
    skill(world.bob, "sql", level=3)  # the author is not suggested to themselves
    client.force_login(world.carol)
    page = _text(client.get(idea.get_absolute_url()))
    assert '<h2 id="who-could-host-heading">Who could host this</h2>' in page
    section = page.split('id="who-could-host"')[1].split("</section>")[0]
    assert section.index("Hana Host") < section.index("Erin Expert")
    assert "Bob Builder" not in section


def test_idea_page_query_count_is_constant(client, world, django_assert_num_queries):
    from kshare.ideas.tests.factories import IdeaFactory

    idea = IdeaFactory(title="SQL katas every month", session=world.intro_sql)
    client.force_login(world.carol)

    def grow(n):
        for _ in range(n):
            skill(PersonFactory(), "sql", level=2)

    _same_queries(client, idea.get_absolute_url(), grow, django_assert_num_queries)
