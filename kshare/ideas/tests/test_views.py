import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.ideas.models import Idea, IdeaComment, IdeaVote, Status
from kshare.ideas.tests.factories import (
    AreaIdeaFactory,
    IdeaCommentFactory,
    IdeaFactory,
    IdeaVoteFactory,
    ProductAreaFactory,
)
from kshare.people.tests.factories import OrganiserFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Format, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory

GONE = (
    "This idea does not exist — it may have been deleted — or it is not shared with you. "
    "Nothing was saved."
)
HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_idea(db):
    """An idea from an invite-only session the member is not invited to."""
    return IdeaFactory(
        title="Secret plan", session=ScheduledSessionFactory(visibility=Visibility.INVITE_ONLY)
    )


def _html(response) -> str:
    return response.content.decode()


def _without_nonce(html: str) -> str:
    """The page minus what differs per response anyway (CSP nonce, CSRF token) and the address
    the reader asked for, which the footer's language switcher returns to."""
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    html = re.sub(r'name="next" value="[^"]*"', 'name="next" value=""', html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


# -- adding ideas ---------------------------------------------------------------------------------


def test_add_idea_on_a_session_page_without_javascript(member_client, person):
    session = ScheduledSessionFactory()

    response = member_client.post(
        "/ideas/new/", {"session": session.pk, "title": "Recommend talks", "description": ""}
    )

    idea = Idea.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/#ideas"
    assert (idea.title, idea.author, idea.session) == ("Recommend talks", person, session)
    page = _html(member_client.get(f"/sessions/{session.pk}/"))
    assert "Ideas from this session" in page
    assert f'id="idea-{idea.pk}"' in page


def test_add_idea_with_htmx_returns_the_section_with_a_fresh_form(member_client):
    session = ScheduledSessionFactory()

    response = member_client.post(
        "/ideas/new/", {"session": session.pk, "title": "Recommend talks"}, headers=HTMX
    )

    html = _html(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="session-ideas" id="ideas"')
    assert "<html" not in html
    assert "Thanks! Your idea is on the board." in html
    assert "Recommend talks</a></h3>" in html
    assert 'name="title" maxlength="200" required id="id_idea_title">' in html


@pytest.mark.parametrize(
    ("title", "error"),
    [
        ("", "Give the idea a title."),
        ("   ", "Give the idea a title."),
        ("x" * 100_000, "Keep the title under 200 characters (it has 100000)."),
        ("a\x00b", "Null characters are not allowed."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_titles_get_a_form_error_not_a_500(member_client, title, error, htmx):
    session = ScheduledSessionFactory()

    response = member_client.post(
        "/ideas/new/", {"session": session.pk, "title": title}, headers=HTMX if htmx else {}
    )

    assert response.status_code == 200
    form = response.context["idea_form"] if htmx else response.context["form"]
    assert form.errors["title"] == [error]
    assert Idea.objects.count() == 0


def test_area_idea_needs_an_area_and_lands_on_the_idea(member_client):
    area = ProductAreaFactory(name="Search")

    missing = member_client.post("/ideas/new/", {"title": "Fuzzy search"})
    response = member_client.post("/ideas/new/", {"title": "Fuzzy search", "area": area.slug})

    assert missing.context["form"].errors == {"area": ["Choose the product area."]}
    idea = Idea.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/ideas/{idea.pk}/")
    assert idea.area == area


def test_adding_an_idea_to_an_invisible_session_is_404_and_saves_nothing(
    member_client, secret_idea
):
    response = member_client.post(
        "/ideas/new/", {"session": secret_idea.session_id, "title": "Sneaky"}
    )

    assert response.status_code == 404
    assert Idea.objects.count() == 1


# -- voting ---------------------------------------------------------------------------------------


def test_double_click_on_vote_keeps_one_vote(member_client, person):
    idea = IdeaFactory()

    for _ in range(2):
        response = member_client.post(f"/ideas/{idea.pk}/vote/", {"vote": "on"}, headers=HTMX)

    html = _html(response)
    assert IdeaVote.objects.filter(idea=idea, person=person).count() == 1
    assert html.lstrip().startswith(f'<li class="idea card" id="idea-{idea.pk}">')
    assert 'value="off" class="button button-small vote-button" aria-pressed="true"' in html
    assert '<span class="vote-count" data-votes="1">1 vote</span>' in html


def test_vote_off_without_javascript_redirects_back(member_client, person):
    idea = IdeaFactory()
    IdeaVoteFactory(idea=idea, person=person)

    response = member_client.post(
        f"/ideas/{idea.pk}/vote/", {"vote": "off", "next": f"/sessions/{idea.session_id}/#ideas"}
    )

    assert (response.status_code, response["Location"]) == (
        302,
        f"/sessions/{idea.session_id}/#ideas",
    )
    assert IdeaVote.objects.filter(idea=idea).count() == 0


def test_vote_ignores_a_next_url_on_another_site(member_client):
    idea = IdeaFactory()

    response = member_client.post(
        f"/ideas/{idea.pk}/vote/", {"vote": "on", "next": "https://evil.example/"}
    )

    assert response["Location"] == f"/ideas/{idea.pk}/"


def test_vote_with_a_bad_value_is_400(member_client):
    idea = IdeaFactory()

    response = member_client.post(f"/ideas/{idea.pk}/vote/", {"vote": "maybe"})

    assert response.status_code == 400
    assert "Send vote=on or vote=off." in _html(response)


def test_voting_on_a_deleted_idea_is_a_clear_404(member_client):
    idea = IdeaFactory()
    pk = idea.pk
    idea.delete()

    response = member_client.post(f"/ideas/{pk}/vote/", {"vote": "on"})
    htmx = member_client.post(f"/ideas/{pk}/vote/", {"vote": "on"}, headers=HTMX)

    assert response.status_code == 404
    assert GONE in _html(response)
    assert htmx.status_code == 200
    assert _html(htmx).strip() == (
        f'<li class="idea card" id="idea-{pk}"><p class="message message-error" role="alert">'
        f"{GONE}</p></li>"
    )
    assert IdeaVote.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/ideas/{pk}/", {}),
        ("post", "/ideas/{pk}/vote/", {"vote": "on"}),
        ("post", "/ideas/{pk}/comment/", {"body": "Hi"}),
        ("post", "/ideas/{pk}/status/", {"status": "exploring"}),
        ("get", "/ideas/{pk}/promote/", {}),
    ],
)
def test_ideas_of_invisible_sessions_look_exactly_like_missing_ones(
    member_client, secret_idea, method, path, data
):
    hidden = getattr(member_client, method)(path.format(pk=secret_idea.pk), data)
    missing = getattr(member_client, method)(path.format(pk=999_999), data)

    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert _without_nonce(_html(hidden)) == _without_nonce(_html(missing))
    assert "Secret plan" not in _html(hidden)
    assert (IdeaVote.objects.count(), IdeaComment.objects.count()) == (0, 0)


def test_invisible_ideas_are_not_on_the_board_or_a_profile(member_client, secret_idea):
    board = _html(member_client.get("/ideas/"))
    profile = _html(member_client.get(f"/people/{secret_idea.author_id}/"))

    assert ("Secret plan" in board, "Secret plan" in profile) == (False, False)


# -- comments, status, promotion ----------------------------------------------------------------


def test_comment_with_htmx_returns_the_comments_partial(member_client, person):
    idea = IdeaFactory()

    response = member_client.post(
        f"/ideas/{idea.pk}/comment/", {"body": "Count me in"}, headers=HTMX
    )

    html = _html(response)
    assert html.lstrip().startswith('<section id="comments"')
    assert "<html" not in html
    assert "Count me in" in html
    assert list(idea.comments.values_list("author", "body")) == [(person.pk, "Count me in")]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("  ", "Write a comment first."),
        ("x" * 5001, "Keep the comment under 5,000 characters (it has 5001)."),
        ("\x00", "Null characters are not allowed."),
    ],
)
def test_bad_comments_get_a_form_error(member_client, body, error):
    idea = IdeaFactory()

    response = member_client.post(f"/ideas/{idea.pk}/comment/", {"body": body})

    assert response.status_code == 200
    assert response.context["comment_form"].errors == {"body": [error]}
    assert IdeaComment.objects.count() == 0


def test_member_gets_403_for_status_and_promote_of_someone_elses_idea(member_client):
    idea = IdeaFactory()

    status = member_client.post(f"/ideas/{idea.pk}/status/", {"status": "exploring"})
    promote = member_client.post(f"/ideas/{idea.pk}/promote/", {"format": "workshop"})

    assert (status.status_code, promote.status_code) == (403, 403)
    assert "Only organisers of the session&#x27;s programme and admins" in _html(promote)
    idea.refresh_from_db()
    assert (idea.status, idea.promoted_session) == (Status.NEW, None)


def test_author_changes_status_and_a_bad_status_gets_a_message(member_client, person):
    idea = IdeaFactory(author=person)

    member_client.post(f"/ideas/{idea.pk}/status/", {"status": "exploring"})
    response = member_client.post(f"/ideas/{idea.pk}/status/", {"status": "new"}, follow=True)

    idea.refresh_from_db()
    assert idea.status == Status.EXPLORING
    assert [str(m) for m in response.context["messages"]] == [
        "The idea is now “Exploring”.",
        "An idea that is “Exploring” cannot get that status.",
    ]


def test_organiser_promotes_and_both_pages_show_the_link(client):
    organiser = OrganiserFactory()
    programme = ProgrammeFactory()
    programme.organisers.add(organiser)
    idea = IdeaFactory(session=ScheduledSessionFactory(programme=programme), title="Recsys lab")
    client.force_login(organiser)

    form = client.get(f"/ideas/{idea.pk}/promote/")
    response = client.post(f"/ideas/{idea.pk}/promote/", {"format": "workshop"})
    again = client.post(f"/ideas/{idea.pk}/promote/", {"format": "workshop"}, follow=True)

    idea.refresh_from_db()
    session = idea.promoted_session
    assert form.status_code == 200
    assert (response.status_code, response["Location"]) == (302, f"/sessions/{session.pk}/")
    assert session.format == Format.WORKSHOP
    assert f'Became session: <a href="/sessions/{session.pk}/">Recsys lab</a>' in _html(
        client.get(f"/ideas/{idea.pk}/")
    )
    assert f'From idea: <a href="/ideas/{idea.pk}/">Recsys lab</a>' in _html(
        client.get(f"/sessions/{session.pk}/")
    )
    assert [str(m) for m in again.context["messages"]][-1] == (
        "This idea has already become a session; open it from the idea."
    )


def test_promoted_session_title_is_hidden_from_people_who_cannot_see_it(member_client):
    idea = AreaIdeaFactory()
    idea.promoted_session = ScheduledSessionFactory(
        title="Private follow-up", visibility=Visibility.INVITE_ONLY
    )
    idea.save()

    assert "Private follow-up" not in _html(member_client.get(f"/ideas/{idea.pk}/"))
    assert "Private follow-up" not in _html(member_client.get("/ideas/"))


def test_promote_with_a_bad_format_shows_a_form_error(client):
    client.force_login(OrganiserFactory())
    idea = AreaIdeaFactory()

    response = client.post(f"/ideas/{idea.pk}/promote/", {"format": "opera"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "format": ["Select a valid choice. opera is not one of the available choices."]
    }


# -- board and areas ----------------------------------------------------------------------------


def test_board_orders_by_votes_or_newest_and_filters_by_area(member_client):
    area = ProductAreaFactory(name="Search")
    old = AreaIdeaFactory(title="Old but loved", area=area)
    new = AreaIdeaFactory(title="Fresh")
    other = IdeaFactory(title="Elsewhere")
    for _ in range(3):
        IdeaVoteFactory(idea=old)
    IdeaVoteFactory(idea=other)

    def titles(url):
        return [i.title for i in member_client.get(url).context["idea_list"]]

    assert titles("/ideas/") == ["Old but loved", "Elsewhere", "Fresh"]
    assert titles("/ideas/?sort=new") == ["Elsewhere", "Fresh", "Old but loved"]
    assert titles("/ideas/?area=search") == ["Old but loved"]
    assert titles("/ideas/areas/search/") == ["Old but loved"]
    assert titles(f"/ideas/?session={other.session_id}") == ["Elsewhere"]
    assert new.pk  # created, just not in the area
    assert member_client.get("/ideas/?area=nope").status_code == 404
    assert member_client.get("/ideas/?session=abc").status_code == 404


def test_board_poll_with_htmx_returns_only_the_list(member_client):
    IdeaFactory(title="Live one")

    response = member_client.get("/ideas/?sort=top", headers=HTMX)

    html = _html(response)
    assert html.lstrip().startswith(
        '<div class="idea-list-live" id="idea-list" hx-get="/ideas/?sort=top" '
        'hx-trigger="every 10s" hx-swap="outerHTML">'
    )
    assert "<html" not in html


def test_only_organisers_add_product_areas(member_client, client):
    refused = member_client.post("/ideas/areas/", {"name": "Billing"})
    client.force_login(OrganiserFactory())
    created = client.post("/ideas/areas/", {"name": "Billing"})
    duplicate = client.post("/ideas/areas/", {"name": "billing"})

    assert (refused.status_code, created.status_code, duplicate.status_code) == (403, 302, 200)
    assert duplicate.context["form"].errors == {
        "name": ["There is already a product area called “billing”."]
    }


def test_description_markdown_is_sanitised(member_client):
    idea = AreaIdeaFactory(
        description="**bold** <script>alert(1)</script> [x](javascript:alert(1))"
    )

    html = _html(member_client.get(f"/ideas/{idea.pk}/"))

    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html
    assert 'href="javascript' not in html


# -- query counts ---------------------------------------------------------------------------------


def _fill(session, n):
    area = ProductAreaFactory(name="Counted")
    for i in range(n):
        idea = IdeaFactory(session=session, area=area if i % 2 else None)
        IdeaVoteFactory(idea=idea)
        IdeaCommentFactory(idea=idea)
        idea.promoted_session = ScheduledSessionFactory()
        idea.save()


@pytest.mark.parametrize("url", ["/ideas/", "/ideas/?sort=new", "/ideas/?page=2", "session"])
def test_board_query_count_does_not_grow_with_ideas(member_client, django_assert_num_queries, url):
    session = ScheduledSessionFactory()
    url = f"/sessions/{session.pk}/" if url == "session" else url
    _fill(session, 25)
    with CaptureQueriesContext(connection) as small:
        assert member_client.get(url).status_code == 200
    _fill(session, 75)
    with django_assert_num_queries(len(small.captured_queries)):
        assert member_client.get(url).status_code == 200


def test_idea_detail_query_count_does_not_grow_with_comments(
    member_client, django_assert_num_queries
):
    few, many = IdeaFactory(), IdeaFactory()
    for idea, n in ((few, 10), (many, 100)):
        for _ in range(n):
            IdeaCommentFactory(idea=idea)
            IdeaVoteFactory(idea=idea)
    with CaptureQueriesContext(connection) as small:
        assert member_client.get(f"/ideas/{few.pk}/").status_code == 200
    with django_assert_num_queries(len(small.captured_queries)):
        response = member_client.get(f"/ideas/{many.pk}/")
    assert len(response.context["idea"].comments.all()) == 100
