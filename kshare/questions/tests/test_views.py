import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.ideas.models import Idea
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.questions import services
from kshare.questions.models import Question, QuestionVote
from kshare.questions.tests.factories import QuestionFactory, RunningSessionFactory
from kshare.sessions.models import Session, State, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory
from kshare.topics.models import TopicRequest

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TOO_LONG = "Keep the question under 500 characters (it has 10240)."
WINDOW_CLOSED = (
    "Questions are open from 15 minutes before the session starts until it ends; "
    "this session is not running now."
)


def _ended_session(**kwargs):
    start = timezone.now() - timedelta(hours=2)
    return ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45), **kwargs)


def _ask(client, session, text, headers=None, **data):
    return client.post(
        f"/sessions/{session.pk}/questions/ask/", {"text": text, **data}, **(headers or {})
    )


def _vote(client, question, value="on", **headers):
    return client.post(
        f"/sessions/{question.session_id}/questions/{question.pk}/vote/", {"vote": value}, **headers
    )


def _texts(questions):
    return [q.text for q in questions]


# -- the session page's section -------------------------------------------------------------------


def test_the_session_page_shows_no_questions_before_they_open(member_client):
    session = ScheduledSessionFactory()
    html = member_client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'id="questions"' not in html


def test_the_session_page_offers_the_ask_form_while_the_session_runs(member_client):
    session = RunningSessionFactory()
    response = member_client.get(f"/sessions/{session.pk}/")
    html = response.content.decode()
    assert '<label for="id_question_text">Your question</label>' in html
    assert '<label for="id_question_anonymous">Ask anonymously</label>' in html
    assert f'hx-get="/sessions/{session.pk}/questions/live/?view=session"' in html
    assert 'hx-trigger="every 4s"' in html


def test_after_the_session_questions_stay_without_form_or_polling(member_client):
    session = _ended_session()
    QuestionFactory(session=session, text="What about caching?")
    html = member_client.get(f"/sessions/{session.pk}/").content.decode()
    assert "What about caching?" in html
    assert "The session has ended: no new questions or votes." in html
    assert 'name="text"' not in html
    assert "questions/live/" not in html
    assert "Upvote:" not in html
    assert "Turn into an idea" not in html  # a member is not a host


def test_a_past_session_without_questions_shows_no_section(member_client):
    html = member_client.get(f"/sessions/{_ended_session().pk}/").content.decode()
    assert 'id="questions"' not in html


# -- asking ---------------------------------------------------------------------------------------


def test_asking_without_javascript_redirects_to_the_section(member_client, person):
    session = RunningSessionFactory()
    response = _ask(member_client, session, "  How big was the dataset?  ")
    assert (response.status_code, response["Location"]) == (
        302,
        f"/sessions/{session.pk}/#questions",
    )
    question = Question.objects.get()
    assert (question.text, question.author, question.anonymous) == (
        "How big was the dataset?",
        person,
        False,
    )
    page = member_client.get(response["Location"]).content.decode()
    assert "Your question is posted." in page


def test_asking_from_the_questions_page_returns_there(member_client):
    session = RunningSessionFactory()
    response = _ask(member_client, session, "Slides?", view="page", anonymous="on")
    assert response["Location"] == f"/sessions/{session.pk}/questions/"
    assert Question.objects.get().anonymous is True


def test_asking_with_htmx_returns_the_section_with_the_question(member_client):
    session = RunningSessionFactory()
    response = _ask(member_client, session, "Is it recorded?", HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="questions" id="questions"')
    assert "Your question is posted." in html
    assert _texts(response.context["question_lists"].open) == ["Is it recorded?"]


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_10_kb_question_is_a_form_error_naming_the_limit(member_client, headers):
    session = RunningSessionFactory()
    response = _ask(member_client, session, "x" * 10_240, headers)
    assert response.status_code == (200 if headers else 400)
    assert response.context["question_form"].errors == {"text": [TOO_LONG]}
    assert TOO_LONG in response.content.decode()
    assert Question.objects.count() == 0


def test_an_empty_question_is_a_form_error(member_client):
    response = _ask(member_client, RunningSessionFactory(), "   ")
    assert response.status_code == 400
    assert response.context["question_form"].errors == {"text": ["Write your question first."]}
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ScheduledSessionFactory(), WINDOW_CLOSED),
        (_ended_session, WINDOW_CLOSED),
        (
            lambda: RunningSessionFactory(state=State.CANCELLED),
            "This session was cancelled: it takes no questions.",
        ),
    ],
)
def test_asking_outside_the_window_or_a_cancelled_session_is_refused(member_client, make, message):
    response = _ask(member_client, make(), "Anyone there?")
    assert response.status_code == 400
    assert response.context["question_form"].non_field_errors() == [message]
    assert message in response.content.decode()
    assert Question.objects.count() == 0


def test_someone_who_may_not_see_the_session_gets_404_and_nothing_is_stored(member_client):
    secret = RunningSessionFactory(visibility=Visibility.INVITE_ONLY)
    question = QuestionFactory(session=secret)
    assert member_client.get(f"/sessions/{secret.pk}/questions/").status_code == 404
    assert member_client.get(f"/sessions/{secret.pk}/questions/live/").status_code == 404
    assert _ask(member_client, secret, "Let me in?").status_code == 404
    assert _vote(member_client, question).status_code == 404
    assert Question.objects.count() == 1
    assert QuestionVote.objects.count() == 0


# -- voting ---------------------------------------------------------------------------------------


def test_voting_twice_says_so_and_counts_once(member_client):
    question = QuestionFactory()
    first = _vote(member_client, question, **HTMX)
    second = _vote(member_client, question, **HTMX)
    assert "Your vote is counted." in first.content.decode()
    assert "You have already voted for this question; it counts once." in second.content.decode()
    question.refresh_from_db()
    assert question.vote_count == 1
    [row] = second.context["question_lists"].open
    assert (row.vote_count, row.voted) == (1, True)
    html = second.content.decode()
    assert f'aria-label="Upvote: {question.text}"' in html
    assert 'aria-pressed="true"' in html
    assert "1 vote</span>" in html


def test_withdrawing_a_vote_without_javascript(member_client):
    question = QuestionFactory()
    _vote(member_client, question)
    response = _vote(member_client, question, "off")
    assert response["Location"] == f"/sessions/{question.session_id}/#questions"
    question.refresh_from_db()
    assert (question.vote_count, QuestionVote.objects.count()) == (0, 0)
    assert "Your vote is withdrawn." in member_client.get(response["Location"]).content.decode()


def test_a_forged_question_id_of_another_session_is_404(member_client):
    here, elsewhere = RunningSessionFactory(), RunningSessionFactory()
    other = QuestionFactory(session=elsewhere)
    response = member_client.post(f"/sessions/{here.pk}/questions/{other.pk}/vote/", {"vote": "on"})
    assert response.status_code == 404
    assert QuestionVote.objects.count() == 0
    assert Question.objects.get().vote_count == 0


def test_voting_for_ones_own_question_is_refused_with_a_message(member_client, person):
    question = QuestionFactory(author=person)
    response = _vote(member_client, question, **HTMX)
    assert "You cannot vote for your own question." in response.content.decode()
    assert QuestionVote.objects.count() == 0
    assert f'aria-label="Upvote: {question.text}"' not in response.content.decode()


def test_a_bad_vote_value_is_a_400(member_client):
    response = _vote(member_client, QuestionFactory(), "twice")
    assert response.status_code == 400
    assert "Send vote=on or vote=off." in response.content.decode()
    assert QuestionVote.objects.count() == 0


def test_the_list_is_sorted_by_votes_then_age_with_answered_ones_apart(client):
    host = PersonFactory()
    session = RunningSessionFactory(host=host)
    old = QuestionFactory(session=session, text="old")
    popular = QuestionFactory(session=session, text="popular")
    QuestionFactory(session=session, text="new")
    answered = QuestionFactory(session=session, text="answered")
    voters = [PersonFactory() for _ in range(3)]
    for voter in voters:
        services.question_vote_set(question=popular, person=voter, on=True)
        services.question_vote_set(question=answered, person=voter, on=True)
    services.question_vote_set(question=old, person=voters[0], on=True)
    services.question_answered_set(question=answered, by=host, answered=True)

    client.force_login(host)
    response = client.get(f"/sessions/{session.pk}/questions/live/")

    lists = response.context["question_lists"]
    assert (_texts(lists.open), _texts(lists.answered)) == (["popular", "old", "new"], ["answered"])
    html = response.content.decode()
    assert '<ol class="question-list" aria-label="Open questions">' in html
    assert 'aria-label="Answered questions"' in html
    assert html.count(">Mark answered</button>") == 3
    assert html.count(">Mark not answered</button>") == 1


# -- hosts ----------------------------------------------------------------------------------------


def test_the_host_marks_answered_and_back(client):
    host = PersonFactory()
    question = QuestionFactory(session=RunningSessionFactory(host=host))
    client.force_login(host)
    url = f"/sessions/{question.session_id}/questions/{question.pk}/answered/"

    response = client.post(url, {"answered": "on", "view": "page"}, **HTMX)
    assert "Marked answered." in response.content.decode()
    assert _texts(response.context["question_lists"].answered) == [question.text]
    response = client.post(url, {"answered": "off", "view": "page"})
    assert response["Location"] == f"/sessions/{question.session_id}/questions/"
    assert Question.objects.get().answered_at is None


def test_an_attendee_cannot_mark_answered(member_client):
    question = QuestionFactory()
    response = member_client.post(
        f"/sessions/{question.session_id}/questions/{question.pk}/answered/", {"answered": "on"}
    )
    assert response.status_code == 403
    assert Question.objects.get().answered_at is None


def test_after_the_session_the_host_turns_a_question_into_an_idea_once(client):
    host = PersonFactory()
    session = _ended_session(host=host)
    question = QuestionFactory(session=session, text="Could we cache more?")
    client.force_login(host)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert page.count(">Turn into an idea</button>") == 1
    assert page.count(">Turn into a topic request</button>") == 1
    url = f"/sessions/{session.pk}/questions/{question.pk}/convert/"

    response = client.post(url, {"into": "idea"})

    idea = Idea.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        f"/sessions/{session.pk}/#questions",
    )
    assert Question.objects.get().converted_idea == idea
    page = client.get(response["Location"]).content.decode()
    assert (
        "The question is now an idea on this session&#x27;s board: “Could we cache more?”." in page
    )
    assert f'Became an idea: <a href="/ideas/{idea.pk}/">Could we cache more?</a>' in page
    assert "Turn into an idea" not in page

    again = client.post(url, {"into": "topic"}, follow=True)
    assert "This question has already become an idea." in again.content.decode()
    assert (Idea.objects.count(), TopicRequest.objects.count()) == (1, 0)


def test_converting_into_a_topic_request_links_it(client):
    host = PersonFactory()
    question = QuestionFactory(session=_ended_session(host=host), text="More on Rust?")
    client.force_login(host)
    client.post(
        f"/sessions/{question.session_id}/questions/{question.pk}/convert/",
        {"into": "topic", "view": "page"},
    )
    topic = TopicRequest.objects.get()
    html = client.get(f"/sessions/{question.session_id}/questions/").content.decode()
    assert f'Became a topic request: <a href="/topics/{topic.pk}/">More on Rust?</a>' in html


def test_an_attendee_cannot_convert(member_client):
    question = QuestionFactory(session=_ended_session())
    response = member_client.post(
        f"/sessions/{question.session_id}/questions/{question.pk}/convert/", {"into": "idea"}
    )
    assert response.status_code == 403
    assert Idea.objects.count() == 0


# -- anonymity ------------------------------------------------------------------------------------


def test_nobody_sees_who_asked_an_anonymous_question_not_even_the_host_or_an_admin(client):
    host = PersonFactory()
    asker = PersonFactory(display_name="Zelda Hiddenname", email="zelda.hidden@example.com")
    session = RunningSessionFactory(host=host)
    question = services.question_ask(
        session=session, author=asker, text="Is the roadmap real?", anonymous=True
    )
    services.question_vote_set(question=question, person=host, on=True)
    pages = [
        f"/sessions/{session.pk}/",
        f"/sessions/{session.pk}/questions/",
        f"/sessions/{session.pk}/questions/live/",
    ]
    for viewer in (host, PersonFactory(), AdminFactory()):
        client.force_login(viewer)
        for url in pages:
            html = client.get(url).content.decode()
            assert "Is the roadmap real?" in html
            assert "Anonymous" in html
            for trace in ("Zelda", "Hiddenname", "zelda.hidden", f"/people/{asker.pk}/"):
                assert trace not in html, (viewer, url, trace)
    client.force_login(asker)
    own = client.get(f"/sessions/{session.pk}/questions/").content.decode()
    assert "Anonymous (your question)" in own


def test_a_named_question_shows_its_author(member_client):
    QuestionFactory(
        author=PersonFactory(display_name="Nora Named"), session=RunningSessionFactory()
    )
    session_pk = Question.objects.get().session_id
    html = member_client.get(f"/sessions/{session_pk}/questions/").content.decode()
    assert "<span>Nora Named</span>" in html


# -- query counts ---------------------------------------------------------------------------------


def _fill(session, n):
    voters = [PersonFactory() for _ in range(2)]
    host = session.hosts.get()
    for i in range(n):
        question = QuestionFactory(session=session, anonymous=i % 2 == 0)
        for voter in voters[: i % 3]:
            services.question_vote_set(question=question, person=voter, on=True)
        if i % 4 == 0:
            services.question_answered_set(question=question, by=host, answered=True)


@pytest.mark.parametrize(
    "path", ["/sessions/{pk}/", "/sessions/{pk}/questions/", "/sessions/{pk}/questions/live/"]
)
@pytest.mark.parametrize("ended", [False, True])
def test_query_count_does_not_grow_with_the_questions(
    client, django_assert_num_queries, path, ended
):
    host = PersonFactory()
    small, big = RunningSessionFactory(host=host), RunningSessionFactory(host=host)
    _fill(small, 5)
    _fill(big, 50)
    if ended:
        start = timezone.now() - timedelta(hours=2)
        Session.objects.update(start=start, end=start + timedelta(minutes=45))
        converted = Question.objects.filter(session=big, answered_at__isnull=True)[:2]
        services.question_convert(question=converted[0], by=host, into="idea")
        services.question_convert(question=converted[1], by=host, into="topic")
    client.force_login(host)
    with CaptureQueriesContext(connection) as ctx:
        small_html = client.get(path.format(pk=small.pk)).content.decode()
    with django_assert_num_queries(len(ctx.captured_queries)):
        big_html = client.get(path.format(pk=big.pk)).content.decode()
    assert (
        len(re.findall(r'<li class="question card', small_html)),
        len(re.findall(r'<li class="question card', big_html)),
    ) == (5, 50)


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (
            lambda: ScheduledSessionFactory(),
            "Questions open 15 minutes before the session starts.",
        ),
        (
            lambda: SessionFactory(),
            "Questions open 15 minutes before the session starts, once it is scheduled.",
        ),
        (
            lambda: RunningSessionFactory(state=State.CANCELLED),
            "This session was cancelled: it takes no questions.",
        ),
    ],
)
def test_the_questions_page_says_when_questions_open(member_client, make, text):
    html = member_client.get(f"/sessions/{make().pk}/questions/").content.decode()
    assert f'<p class="meta">{text}</p>' in html
    assert 'name="text"' not in html


def test_the_admin_shows_who_asked_an_anonymous_question(client):
    asker = PersonFactory(display_name="Audrey Audited")
    QuestionFactory(author=asker, anonymous=True, text="Anonymous to the room")
    client.force_login(AdminFactory())
    html = client.get("/admin/questions/question/").content.decode()
    assert "Anonymous to the room" in html
    assert "Audrey Audited" in html


def test_on_the_questions_page_the_hosts_ask_form_is_folded_away(client):
    host = PersonFactory()
    session = RunningSessionFactory(host=host)
    client.force_login(host)
    html = client.get(f"/sessions/{session.pk}/questions/").content.decode()
    assert '<details class="more"><summary>Ask a question yourself</summary>' in html
    client.force_login(PersonFactory())
    html = client.get(f"/sessions/{session.pk}/questions/").content.decode()
    assert "<details" not in html.split('id="questions"')[1]
    assert '<label for="id_question_text">Your question</label>' in html
