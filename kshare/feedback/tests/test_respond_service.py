"""response_submit: one response per person, anonymity, and the prospective-host entries."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kshare.feedback.models import (
    Answer,
    FeedbackRequest,
    HostAnswerHeld,
    ProspectiveHost,
    Question,
    Response,
)
from kshare.feedback.release import feedback_release_due
from kshare.feedback.services import respondent_hash, response_submit
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db


def open_request(*, anonymous: bool = False, **kwargs) -> FeedbackRequest:
    if "session" not in kwargs:
        programme = ProgrammeFactory(feedback_anonymous=anonymous)
        kwargs["session"] = PastSessionFactory(programme=programme, title="Data contracts")
    return FeedbackRequestFactory(**kwargs)


def questions_of(request: FeedbackRequest) -> dict[str, Question]:
    """The default form's questions by purpose (or position for the two free-text ones)."""
    by = {}
    for q in request.form.questions.all():
        by[q.purpose or f"text{q.position}"] = q
    return by


def answers(request: FeedbackRequest, **values) -> dict[int, object]:
    q = questions_of(request)
    return {q[key].pk: value for key, value in values.items()}


def stored(response: Response) -> dict[str, tuple]:
    return {
        a.question.purpose or f"text{a.question.position}": (a.number, a.text, a.selected)
        for a in response.answers.select_related("question")
    }


def test_answers_are_stored_per_kind_and_the_request_is_marked_answered():
    request = open_request()
    data = answers(request, overall="4", text2="The demo", topics_wanted="dbt", host_interest="No")

    response = response_submit(request=request, person=request.person, data=data)

    assert response.person == request.person
    assert response.session == request.session
    assert response.form == request.form
    assert response.submitted_on == timezone.localdate()
    assert response.respondent_hash == respondent_hash(
        session_id=request.session_id, person_id=request.person_id
    )
    assert stored(response) == {
        "overall": (4, "", []),
        "text2": (None, "The demo", []),
        "topics_wanted": (None, "dbt", []),
        "host_interest": (None, "", ["No"]),
    }
    request.refresh_from_db()
    assert request.answered is True
    assert ProspectiveHost.objects.count() == 0


def test_yes_no_nps_and_multiple_choice_are_stored_as_numbers_and_lists():
    request = open_request()
    form = request.form
    yes_no = Question.objects.create(form=form, position=10, kind="yes_no", text="Again?")
    nps = Question.objects.create(form=form, position=11, kind="nps", text="Recommend?")
    multi = Question.objects.create(
        form=form, position=12, kind="multiple", text="Which?", choices=["A", "B", "C"]
    )
    overall = questions_of(request)["overall"]
    data = {overall.pk: "5", yes_no.pk: "yes", nps.pk: "0", multi.pk: ["C", "A"]}

    response = response_submit(request=request, person=request.person, data=data)

    by_question = {a.question_id: (a.number, a.text, a.selected) for a in response.answers.all()}
    assert by_question == {
        overall.pk: (5, "", []),
        yes_no.pk: (1, "", []),
        nps.pk: (0, "", []),
        multi.pk: (None, "", ["A", "C"]),
    }


def test_someone_elses_request_is_refused_and_nothing_is_saved():
    request = open_request()

    with pytest.raises(PermissionDenied):
        response_submit(request=request, person=PersonFactory(), data=answers(request, overall="3"))

    assert Response.objects.count() == 0
    request.refresh_from_db()
    assert request.answered is False


def test_a_closed_form_is_refused_with_its_date():
    closes = timezone.now().replace(year=2025, month=3, day=14, hour=12)
    request = open_request(closes_at=closes)

    with pytest.raises(ValidationError) as exc:
        response_submit(request=request, person=request.person, data=answers(request, overall="3"))

    assert exc.value.messages == ["This form closed on Friday 14 March 2025."]
    assert Response.objects.count() == 0


def test_answering_twice_is_refused_and_keeps_one_response():
    request = open_request()
    response_submit(request=request, person=request.person, data=answers(request, overall="3"))

    with pytest.raises(ValidationError) as exc:
        response_submit(request=request, person=request.person, data=answers(request, overall="1"))

    assert exc.value.messages == ["You have already answered — thank you."]
    assert list(Response.objects.values_list("answers__number", flat=True)) == [3]


def test_the_unique_hash_refuses_a_second_response_even_if_the_flag_was_lost():
    request = open_request(anonymous=True)
    response_submit(request=request, person=request.person, data=answers(request, overall="3"))
    FeedbackRequest.objects.filter(pk=request.pk).update(answered=False)
    request.refresh_from_db()

    with pytest.raises(ValidationError) as exc:
        response_submit(request=request, person=request.person, data=answers(request, overall="1"))

    assert exc.value.messages == ["You have already answered — thank you."]
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [("overall", "7"), ("overall", "x"), ("host_interest", "Sure"), ("text2", "a" * 5001)],
)
def test_values_the_question_cannot_take_are_refused_by_the_service_too(key, value):
    request = open_request()
    data = answers(request, overall="3") | answers(request, **{key: value})

    with pytest.raises(ValidationError):
        response_submit(request=request, person=request.person, data=data)

    assert Response.objects.count() == 0


def test_a_missing_required_answer_is_refused():
    request = open_request()

    with pytest.raises(ValidationError) as exc:
        response_submit(request=request, person=request.person, data={})

    assert exc.value.messages == ["“Overall, how useful was the session?” needs an answer."]


def test_anonymous_response_stores_no_person_and_a_keyed_hash():
    request = open_request(anonymous=True)

    response = response_submit(
        request=request, person=request.person, data=answers(request, overall="2")
    )

    response.refresh_from_db()
    assert response.person is None
    plain = f"{request.session_id}:{request.person_id}"
    unkeyed = {
        hashlib.sha256(plain.encode()).hexdigest(),
        hashlib.sha256(f"kshare.feedback:{plain}".encode()).hexdigest(),
        hashlib.sha256(f"{request.person_id}".encode()).hexdigest(),
    }
    assert response.respondent_hash not in unkeyed
    assert len(response.respondent_hash) == 64


def test_anonymous_response_is_dated_by_the_send_day_not_the_answer_day():
    request = open_request(anonymous=True)
    request.sent_at = timezone.now() - timedelta(days=3)
    request.save(update_fields=["sent_at"])
    named = open_request()
    named.sent_at = timezone.now() - timedelta(days=3)
    named.save(update_fields=["sent_at"])

    anonymous = response_submit(
        request=request, person=request.person, data=answers(request, overall="4")
    )
    signed = response_submit(request=named, person=named.person, data=answers(named, overall="4"))

    assert anonymous.submitted_on == timezone.localdate(request.sent_at)
    assert signed.submitted_on == timezone.localdate()


def test_yes_creates_a_prospective_host_with_the_topic_they_would_host():
    """The topic they would host and the topics they would like next are kept apart (a draft
    made from the entry was titled with the topics wanted)."""
    request = open_request()

    response_submit(
        request=request,
        person=request.person,
        data=answers(
            request,
            overall="5",
            topics_wanted="Kafka internals",
            host_interest="Yes",
            host_topic="dbt for analysts",
        ),
    )

    [prospect] = ProspectiveHost.objects.all()
    assert (prospect.programme, prospect.person, prospect.answer) == (
        request.session.programme,
        request.person,
        "yes",
    )
    assert (prospect.topic, prospect.topics, prospect.source_session, prospect.status) == (
        "dbt for analysts",
        "Kafka internals",
        request.session,
        "new",
    )
    assert prospect.answered_on == timezone.localdate()


def test_maybe_creates_one_and_no_creates_none():
    maybe = open_request()
    no = open_request()

    response_submit(
        request=maybe, person=maybe.person, data=answers(maybe, overall="3", host_interest="Maybe")
    )
    response_submit(request=no, person=no.person, data=answers(no, overall="3", host_interest="No"))

    assert list(ProspectiveHost.objects.values_list("person", "answer", "topics")) == [
        (maybe.person_id, "maybe", "")
    ]


def test_a_second_sessions_answer_updates_the_entry_and_keeps_its_status():
    first = open_request()
    programme = first.session.programme
    person = first.person
    response_submit(
        request=first,
        person=person,
        data=answers(first, overall="3", topics_wanted="SQL", host_interest="Maybe"),
    )
    ProspectiveHost.objects.update(status="contacted")
    second = open_request(session=PastSessionFactory(programme=programme), person=person)

    response_submit(
        request=second,
        person=person,
        data=answers(second, overall="4", topics_wanted="dbt", host_interest="Yes"),
    )
    third = open_request(session=PastSessionFactory(programme=programme), person=person)
    response_submit(
        request=third, person=person, data=answers(third, overall="4", host_interest="No")
    )

    [prospect] = ProspectiveHost.objects.all()
    assert (prospect.answer, prospect.topics, prospect.status, prospect.source_session) == (
        "yes",
        "dbt",
        "contacted",
        second.session,
    )


def test_anonymous_yes_goes_to_the_named_entry_only_and_nothing_links_it_to_the_response():
    request = open_request(anonymous=True)

    response = response_submit(
        request=request,
        person=request.person,
        data=answers(
            request,
            overall="1",
            text3="Too long",
            topics_wanted="Kafka for beginners",
            host_interest="Yes",
            host_topic="Kafka at scale",
        ),
    )

    # Held until the form has closed (test_anonymity has the timing); then the named entry.
    assert ProspectiveHost.objects.count() == 0
    [held] = HostAnswerHeld.objects.values()
    assert sorted(held) == ["answer", "id", "person_id", "session_id", "topic", "topics"]
    assert (held["person_id"], held["answer"], held["topics"], held["topic"]) == (
        request.person_id,
        "yes",
        "Kafka for beginners",
        "Kafka at scale",
    )
    after_close = request.closes_at + timedelta(minutes=1)
    feedback_release_due(now=after_close)  # the closing decision (one answer: stays held)
    assert ProspectiveHost.objects.count() == 0
    feedback_release_due(now=after_close)  # a tick later, the name
    [prospect] = ProspectiveHost.objects.values()
    assert prospect["person_id"] == request.person_id
    assert (prospect["topics"], prospect["topic"]) == ("Kafka for beginners", "Kafka at scale")
    # No column of the prospect refers to a response, and the response holds neither the
    # host answer nor the topics, so the two cannot be matched by their content either.
    assert sorted(prospect) == sorted(
        [
            "id",
            "programme_id",
            "person_id",
            "answer",
            "topics",
            "topic",
            "source_session_id",
            "status",
            "proposed_session_id",
            "created_on",
            "answered_on",
            "updated_at",
        ]
    )
    assert stored(response) == {"overall": (1, "", []), "text3": (None, "Too long", [])}
    assert Response.objects.get().person is None


def test_anonymous_no_keeps_the_topics_in_the_anonymous_response():
    request = open_request(anonymous=True)

    response = response_submit(
        request=request,
        person=request.person,
        data=answers(request, overall="4", topics_wanted="Kafka", host_interest="No"),
    )

    assert stored(response) == {"overall": (4, "", []), "topics_wanted": (None, "Kafka", [])}
    assert ProspectiveHost.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_store_exactly_one_response():
    request = open_request(anonymous=True)
    data = answers(request, overall="5")
    outcomes: list[str] = []

    def submit(i: int) -> None:
        try:
            response_submit(request=request, person=request.person, data=data)
            outcomes.append("saved")
        except ValidationError as exc:
            outcomes.extend(exc.messages)

    assert race(submit, threads=2) == []
    assert sorted(outcomes) == ["You have already answered — thank you.", "saved"]
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1


def test_request_expiry_is_checked_against_now():
    request = open_request(closes_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(ValidationError):
        response_submit(request=request, person=request.person, data=answers(request, overall="3"))
    assert Response.objects.count() == 0
