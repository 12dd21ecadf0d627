from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kshare.ideas.models import Idea
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.questions import services
from kshare.questions.models import Question, QuestionVote
from kshare.questions.services import Vote
from kshare.questions.tests.factories import QuestionFactory, RunningSessionFactory
from kshare.sessions.models import State
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.topics.models import TopicRequest, TopicVote

pytestmark = pytest.mark.django_db

WINDOW_CLOSED = (
    "Questions are open from 15 minutes before the session starts until it ends; "
    "this session is not running now."
)


def _session_starting_in(minutes: float, **kwargs):
    start = timezone.now() + timedelta(minutes=minutes)
    return ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45), **kwargs)


# -- asking -------------------------------------------------------------------------------------


def test_ask_stores_the_stripped_text_and_the_author_even_when_anonymous():
    session, person = RunningSessionFactory(), PersonFactory()

    question = services.question_ask(
        session=session, author=person, text="  Why SQLite?  ", anonymous=True
    )

    question.refresh_from_db()
    assert (question.session, question.author, question.text, question.anonymous) == (
        session,
        person,
        "Why SQLite?",
        True,
    )
    assert (question.vote_count, question.answered_at) == (0, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your question first."),
        ("   \n ", "Write your question first."),
        ("x" * 501, "Keep the question under 500 characters (it has 501)."),
        ("x" * 10_240, "Keep the question under 500 characters (it has 10,240)."),
        ("a\x00b", "The question contains a NUL character; remove it."),
    ],
)
def test_bad_text_is_refused_and_nothing_is_stored(text, message):
    with pytest.raises(ValidationError) as error:
        services.question_ask(session=RunningSessionFactory(), author=PersonFactory(), text=text)
    assert error.value.messages == [message]
    assert Question.objects.count() == 0


def test_exactly_500_characters_are_accepted():
    question = services.question_ask(
        session=RunningSessionFactory(), author=PersonFactory(), text="y" * 500
    )
    assert len(question.text) == 500


@pytest.mark.parametrize(
    ("minutes", "is_open"),
    [(16, False), (14, True), (0, True), (-44, True), (-45, False), (-600, False)],
)
def test_the_window_runs_from_15_minutes_before_the_start_to_the_end(minutes, is_open):
    session = _session_starting_in(minutes)
    assert services.questions_open(session=session) is is_open


def test_asking_outside_the_window_is_refused():
    for session in (_session_starting_in(20), _session_starting_in(-50)):
        with pytest.raises(ValidationError) as error:
            services.question_ask(session=session, author=PersonFactory(), text="Too early?")
        assert error.value.messages == [WINDOW_CLOSED]
    assert Question.objects.count() == 0


def test_asking_a_cancelled_session_is_refused_even_in_its_time():
    session = RunningSessionFactory(state=State.CANCELLED)
    with pytest.raises(ValidationError) as error:
        services.question_ask(session=session, author=PersonFactory(), text="Still on?")
    assert error.value.messages == ["This session was cancelled: it takes no questions."]
    assert Question.objects.count() == 0


def test_a_session_marked_held_early_takes_questions_until_its_end():
    session = RunningSessionFactory(state=State.HELD)
    services.question_ask(session=session, author=PersonFactory(), text="After held?")
    assert Question.objects.filter(session=session).count() == 1


# -- voting -------------------------------------------------------------------------------------


def test_vote_counts_once_and_voting_twice_says_so():
    question, voter = QuestionFactory(), PersonFactory()

    first = services.question_vote_set(question=question, person=voter, on=True)
    second = services.question_vote_set(question=question, person=voter, on=True)

    question.refresh_from_db()
    assert (first, second, question.vote_count) == (Vote.ADDED, Vote.ALREADY, 1)
    assert QuestionVote.objects.filter(question=question).count() == 1


def test_withdrawing_a_vote_lowers_the_count_and_twice_changes_nothing():
    question = QuestionFactory()
    voters = [PersonFactory() for _ in range(3)]
    for voter in voters:
        services.question_vote_set(question=question, person=voter, on=True)

    first = services.question_vote_set(question=question, person=voters[0], on=False)
    second = services.question_vote_set(question=question, person=voters[0], on=False)

    question.refresh_from_db()
    assert (first, second, question.vote_count) == (Vote.REMOVED, Vote.NOT_VOTED, 2)
    assert QuestionVote.objects.filter(question=question).count() == 2


def test_nobody_votes_for_their_own_question_even_an_anonymous_one():
    question = QuestionFactory(anonymous=True)
    with pytest.raises(ValidationError) as error:
        services.question_vote_set(question=question, person=question.author, on=True)
    assert error.value.messages == ["You cannot vote for your own question."]
    question.refresh_from_db()
    assert (question.vote_count, QuestionVote.objects.count()) == (0, 0)


def test_votes_are_refused_after_the_session():
    question = QuestionFactory(session=_session_starting_in(-50))
    with pytest.raises(ValidationError) as error:
        services.question_vote_set(question=question, person=PersonFactory(), on=True)
    assert error.value.messages == [WINDOW_CLOSED]
    assert QuestionVote.objects.count() == 0


# -- answering ----------------------------------------------------------------------------------


def test_the_host_marks_a_question_answered_and_back():
    host = PersonFactory()
    question = QuestionFactory(session=RunningSessionFactory(host=host))

    services.question_answered_set(question=question, by=host, answered=True)
    question.refresh_from_db()
    assert (question.answered_by, question.answered_at is not None) == (host, True)

    services.question_answered_set(question=question, by=host, answered=False)
    question.refresh_from_db()
    assert (question.answered_by, question.answered_at) == (None, None)


def test_marking_answered_twice_keeps_the_first_time():
    host = PersonFactory()
    question = QuestionFactory(session=RunningSessionFactory(host=host))
    services.question_answered_set(question=question, by=host, answered=True)
    first = Question.objects.get().answered_at
    services.question_answered_set(question=question, by=host, answered=True)
    assert Question.objects.get().answered_at == first


def test_an_attendee_cannot_mark_answered():
    question = QuestionFactory()
    with pytest.raises(PermissionDenied):
        services.question_answered_set(question=question, by=PersonFactory(), answered=True)
    assert Question.objects.get().answered_at is None


# -- converting ---------------------------------------------------------------------------------


def test_a_question_becomes_an_idea_on_the_sessions_board_once():
    host = PersonFactory()
    session = RunningSessionFactory(host=host, title="Data at scale")
    author = PersonFactory(display_name="Quinn Asker")
    question = QuestionFactory(session=session, author=author, text="Could we shard by team?")

    idea = services.question_convert(question=question, by=host, into="idea")

    question.refresh_from_db()
    assert question.converted_idea == idea
    assert (idea.title, idea.session, idea.author) == ("Could we shard by team?", session, host)
    assert idea.description == (
        "> Could we shard by team?\n\nA question asked by Quinn Asker during "
        f"“Data at scale” (/sessions/{session.pk}/)."
    )
    with pytest.raises(ValidationError) as error:
        services.question_convert(question=question, by=host, into="idea")
    assert error.value.messages == ["This question has already become an idea."]
    with pytest.raises(ValidationError) as error:
        services.question_convert(question=question, by=host, into="topic")
    assert error.value.messages == ["This question has already become an idea."]
    assert (Idea.objects.count(), TopicRequest.objects.count()) == (1, 0)


def test_a_question_becomes_a_topic_request_by_the_organiser_and_keeps_the_asker_anonymous():
    organiser = OrganiserFactory()
    session = RunningSessionFactory(title="Security basics")
    session.programme.organisers.add(organiser)
    question = QuestionFactory(
        session=session, anonymous=True, text="Could we have a session on threat models?"
    )

    topic = services.question_convert(question=question, by=organiser, into="topic")

    question.refresh_from_db()
    assert question.converted_topic == topic
    assert (topic.title, topic.requester) == (
        "Could we have a session on threat models?",
        organiser,
    )
    assert question.author.display_name not in topic.description
    assert topic.description == (
        "> Could we have a session on threat models?\n\nA question asked during "
        f"“Security basics” (/sessions/{session.pk}/)."
    )
    assert list(TopicVote.objects.values_list("person", flat=True)) == [organiser.pk]
    with pytest.raises(ValidationError) as error:
        services.question_convert(question=question, by=organiser, into="idea")
    assert error.value.messages == ["This question has already become a topic request."]
    assert Idea.objects.count() == 0


def test_a_long_question_gets_a_shortened_title_and_keeps_its_full_text():
    host = PersonFactory()
    text = "word " * 99 + "end?"
    question = QuestionFactory(session=RunningSessionFactory(host=host), text=text)

    idea = services.question_convert(question=question, by=host, into="idea")

    assert len(idea.title) == 200
    assert idea.title.endswith("…")
    assert idea.description.startswith(f"> {text}\n")


def test_only_managers_convert():
    question = QuestionFactory()
    with pytest.raises(PermissionDenied):
        services.question_convert(question=question, by=question.author, into="idea")
    with pytest.raises(ValidationError):
        services.question_convert(question=question, by=question.session.hosts.get(), into="x")
    assert (Idea.objects.count(), Question.objects.get().converted_idea) == (0, None)
