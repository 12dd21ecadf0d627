from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.people.tests.factories import OrganiserFactory
from kshare.sessions.models import Session, Visibility
from kshare.sessions.tests.factories import SessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.topics.models import TopicRequest, TopicVolunteer, TopicVote
from kshare.topics.tests.factories import (
    TopicRequestFactory,
    TopicVolunteerFactory,
    TopicVoteFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _titles(response) -> list[str]:
    return [t.title for t in response.context["topics"]]


def test_list_ranks_by_plus_ones_then_newest(member_client):
    now = timezone.now()
    old_popular = TopicRequestFactory(title="Old popular", created_at=now - timedelta(days=9))
    new_popular = TopicRequestFactory(title="New popular", created_at=now - timedelta(days=1))
    quiet = TopicRequestFactory(title="Quiet", created_at=now)
    unloved = TopicRequestFactory(title="Unloved", created_at=now - timedelta(days=2))
    for request, votes in ((old_popular, 3), (new_popular, 3), (quiet, 1)):
        TopicVoteFactory.create_batch(votes, request=request)
    TopicRequestFactory(title="Done", status=TopicRequest.Status.SCHEDULED)
    assert unloved.votes.count() == 0

    response = member_client.get("/topics/")

    assert response.status_code == 200
    assert _titles(response) == ["New popular", "Old popular", "Quiet", "Unloved"]
    assert [t.n_votes for t in response.context["topics"]] == [3, 3, 1, 0]
    assert _titles(member_client.get("/topics/scheduled/")) == ["Done"]


def test_request_a_topic_records_it_with_the_requesters_plus_one(member_client, person):
    response = member_client.post(
        "/topics/new/",
        {"title": "  dbt   for analysts ", "description": "Please!", "tags_text": "dbt, SQL"},
    )
    request = TopicRequest.objects.get()
    assert response.status_code == 302
    assert response.url == f"/topics/{request.pk}/"
    assert (request.title, request.requester) == ("dbt for analysts", person)
    assert sorted(t.name for t in request.tags.all()) == ["SQL", "dbt"]
    assert list(request.votes.values_list("person", flat=True)) == [person.pk]


@pytest.mark.parametrize(
    ("title", "error"),
    [
        ("", "Name the topic you would like a session on."),
        ("   ", "Name the topic you would like a session on."),
        ("x" * 100_000, "Ensure this value has at most 200 characters (it has 100000)."),
        ("dbt\x00", "Null characters are not allowed."),
    ],
)
def test_bad_titles_get_a_clear_form_error_and_save_nothing(member_client, title, error):
    response = member_client.post("/topics/new/", {"title": title, "description": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == [error]
    assert TopicRequest.objects.count() == 0


def test_too_many_tags_and_long_description_are_form_errors(member_client):
    response = member_client.post(
        "/topics/new/",
        {
            "title": "dbt",
            "description": "d" * 5001,
            "tags_text": ",".join(f"t{i}" for i in range(11)),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "description": ["Ensure this value has at most 5000 characters (it has 5001)."],
        "tags_text": ["Use at most 10 tags."],
    }


def test_plus_one_twice_counts_once_and_htmx_gets_the_box(member_client, person):
    request = TopicRequestFactory()
    url = reverse("topics:vote", args=[request.pk])

    first = member_client.post(url, {"on": "1"}, **HTMX)
    second = member_client.post(url, {"on": "1"}, **HTMX)

    assert (first.status_code, second.status_code) == (200, 200)
    assert TopicVote.objects.filter(request=request, person=person).count() == 1
    html = second.content.decode()
    assert html.lstrip().startswith(f'<div class="vote-box" id="vote-{request.pk}">')
    assert '<span class="stat">1</span>' in html
    assert 'aria-pressed="true"' in html
    assert "Your +1 is counted." in html


def test_plus_one_without_javascript_redirects_with_a_message(member_client, person):
    request = TopicRequestFactory()
    response = member_client.post(
        reverse("topics:vote", args=[request.pk]), {"on": "1"}, follow=True
    )
    assert response.redirect_chain == [(f"/topics/{request.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["Your +1 is counted."]
    response = member_client.post(reverse("topics:vote", args=[request.pk]), {"on": "0"})
    assert TopicVote.objects.filter(person=person).count() == 0


def test_plus_one_on_a_deleted_request_is_a_clear_404(member_client):
    request = TopicRequestFactory()
    pk = request.pk
    request.delete()
    response = member_client.post(f"/topics/{pk}/vote/", {"on": "1"})
    assert response.status_code == 404
    assert response.context["title"] == "Not found"
    assert TopicVote.objects.count() == 0
    assert member_client.get(f"/topics/{pk}/").status_code == 404


def test_endpoints_take_only_post(member_client):
    request = TopicRequestFactory()
    for action in ("vote", "volunteer", "propose"):
        assert member_client.get(f"/topics/{request.pk}/{action}/").status_code == 405


def test_plus_one_on_a_closed_request_is_refused_with_a_message(member_client):
    request = TopicRequestFactory(status=TopicRequest.Status.CLOSED)
    response = member_client.post(f"/topics/{request.pk}/vote/", {"on": "1"}, **HTMX)
    assert response.status_code == 200
    assert "This request is closed: it takes no more +1s or volunteers." in response.text
    assert TopicVote.objects.count() == 0


def test_volunteering_with_a_note_and_bad_notes(member_client, person):
    request = TopicRequestFactory()
    url = f"/topics/{request.pk}/volunteer/"

    too_long = member_client.post(url, {"on": "1", "note": "n" * 501}, **HTMX)
    nul = member_client.post(url, {"on": "1", "note": "a\x00b"}, **HTMX)
    assert "Ensure this value has at most 500 characters (it has 501)." in too_long.text
    assert "Null characters are not allowed." in nul.text
    assert TopicVolunteer.objects.count() == 0

    ok = member_client.post(url, {"on": "1", "note": "I run dbt at work"}, **HTMX)
    assert ok.status_code == 200
    assert "Propose it as a session" in ok.text
    assert '<section id="volunteers" aria-labelledby="volunteers-heading" hx-swap-oob="true">' in (
        ok.text
    )
    assert "I run dbt at work" in ok.text
    assert list(TopicVolunteer.objects.values_list("person", "note")) == [
        (person.pk, "I run dbt at work")
    ]


def test_volunteer_proposes_the_request_and_lands_on_the_new_session(member_client, person):
    request = TopicRequestFactory(title="Kubernetes for data scientists", description="Pods.")
    TopicVolunteerFactory(request=request, person=person)

    response = member_client.post(f"/topics/{request.pk}/propose/")

    session = Session.objects.get()
    request.refresh_from_db()
    assert response.status_code == 302
    assert response.url == f"/sessions/{session.pk}/"
    assert (session.title, session.abstract) == ("Kubernetes for data scientists", "Pods.")
    assert request.session == session
    detail = member_client.get(f"/topics/{request.pk}/")
    assert f'href="/sessions/{session.pk}/"' in detail.text


def test_non_volunteers_cannot_propose_a_request(member_client):
    request = TopicRequestFactory()
    response = member_client.post(f"/topics/{request.pk}/propose/")
    assert response.status_code == 403
    assert response.context["text"] == (
        "Only people who volunteered to host this topic, organisers and admins can propose it "
        "as a session."
    )
    assert Session.objects.count() == 0


def test_organisers_may_propose_any_open_request(client):
    organiser = OrganiserFactory()
    client.force_login(organiser)
    request = TopicRequestFactory()
    assert client.post(f"/topics/{request.pk}/propose/").status_code == 302
    request.refresh_from_db()
    assert request.session.host_links.get().person == organiser


def test_proposing_an_already_proposed_request_explains_why_not(member_client, person):
    request = TopicRequestFactory()
    TopicVolunteerFactory(request=request, person=person)
    member_client.post(f"/topics/{request.pk}/propose/", follow=True)
    response = member_client.post(f"/topics/{request.pk}/propose/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "A session was already proposed for this request."
    ]
    assert Session.objects.count() == 1


def test_topic_pages_require_sign_in(client):
    request = TopicRequestFactory()
    for url in ("/topics/", "/topics/new/", f"/topics/{request.pk}/"):
        response = client.get(url)
        assert (response.status_code, response.url.split("?")[0]) == (302, "/signin/")


def _fill(n: int, tag) -> None:
    for _ in range(n):
        request = TopicRequestFactory(tags=[tag])
        TopicVoteFactory(request=request)
        TopicVolunteerFactory(request=request)


def test_list_and_detail_query_counts_are_constant(member_client, django_assert_num_queries):
    tag = TagFactory(name="dbt")
    _fill(10, tag)
    with CaptureQueriesContext(connection) as small:
        assert member_client.get("/topics/").status_code == 200
    _fill(90, tag)
    with django_assert_num_queries(len(small.captured_queries)):
        assert member_client.get("/topics/").status_code == 200
    with django_assert_num_queries(len(small.captured_queries)):
        assert member_client.get("/topics/?page=3").status_code == 200

    request = TopicRequestFactory(tags=[tag])
    TopicVolunteerFactory(request=request)
    with CaptureQueriesContext(connection) as one:
        assert member_client.get(f"/topics/{request.pk}/").status_code == 200
    TopicVolunteerFactory.create_batch(20, request=request)
    TopicVoteFactory.create_batch(20, request=request)
    with django_assert_num_queries(len(one.captured_queries)):
        assert member_client.get(f"/topics/{request.pk}/").status_code == 200


def test_a_session_link_shows_only_to_people_who_may_see_it(member_client):
    secret = SessionFactory(title="Board prep", visibility=Visibility.INVITE_ONLY)
    request = TopicRequestFactory(session=secret)
    assert "Board prep" not in member_client.get(f"/topics/{request.pk}/").text
    assert "Session proposed" not in member_client.get("/topics/").text
