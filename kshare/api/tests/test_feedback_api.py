"""Feedback through the API: pending requests, answering, the form, results and anonymity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.api.tests.querycount import queries_of
from kshare.feedback.models import Answer, FeedbackRequest, Response
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db


def api_for(person, scope: str = "write") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


def _questions(request: FeedbackRequest) -> dict[str, int]:
    """Question ids by purpose or kind (the default form)."""
    ids = {}
    for q in request.form.questions.all():
        ids[q.purpose or f"{q.kind}{q.position}"] = q.pk
    return ids


def test_pending_requests_are_mine_and_open(person):
    mine = FeedbackRequestFactory(person=person, session__title="Pandas")
    later = FeedbackRequestFactory(person=person, closes_at=timezone.now() + dt.timedelta(days=30))
    FeedbackRequestFactory(person=person, answered=True)
    FeedbackRequestFactory(person=person, closes_at=timezone.now() - dt.timedelta(days=1))
    FeedbackRequestFactory()  # someone else's
    body = api_for(person).get("feedback/requests").json()
    assert [r["id"] for r in body["items"]] == [mine.pk, later.pk]
    first = body["items"][0]
    assert first["session"] == {
        "id": mine.session_id,
        "title": "Pandas",
        "url": mine.session.get_absolute_url(),
    }
    assert (first["answered"], first["open"], first["anonymous"]) == (False, True, False)
    # Cursor pages.
    page = api_for(person).get("feedback/requests", {"limit": 1}).json()
    assert [r["id"] for r in page["items"]] == [mine.pk]
    page = (
        api_for(person).get("feedback/requests", {"limit": 1, "cursor": page["next_cursor"]}).json()
    )
    assert ([r["id"] for r in page["items"]], page["next_cursor"]) == ([later.pk], None)


def test_request_detail_lists_the_questions(person):
    request = FeedbackRequestFactory(person=person)
    body = api_for(person).get(f"feedback/requests/{request.pk}").json()
    assert body["form_version"] == 1
    assert [q["position"] for q in body["questions"]] == [1, 2, 3, 4, 5, 6]
    overall = body["questions"][0]
    assert (overall["kind"], overall["required"], overall["purpose"]) == ("rating", True, "overall")
    assert body["questions"][4]["choices"] == ["Yes", "Maybe", "No"]
    # Someone else's request is the same 404 as a missing one.
    other = FeedbackRequestFactory()
    for pk in (other.pk, 999999):
        response = api_for(person).get(f"feedback/requests/{pk}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_submit_stores_the_answers(person):
    request = FeedbackRequestFactory(person=person)
    ids = _questions(request)
    client = api_for(person)
    response = client.post(
        f"feedback/requests/{request.pk}/response",
        {
            "answers": [
                {"question": ids["overall"], "value": 5},
                {"question": ids["long_text2"], "value": "The live demo."},
                {"question": ids["host_interest"], "value": "Maybe"},
            ]
        },
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "request_id": request.pk,
        "session_id": request.session_id,
        "anonymous": False,
        "message": "Thank you: your answers are saved.",
    }
    stored = Response.objects.get()
    assert stored.person == person
    answers = {a.question_id: a for a in Answer.objects.filter(response=stored)}
    assert answers[ids["overall"]].number == 5
    assert answers[ids["long_text2"]].text == "The live demo."
    assert answers[ids["host_interest"]].selected == ["Maybe"]
    request.refresh_from_db()
    assert request.answered
    # Twice: a 409, nothing more stored.
    again = client.post(
        f"feedback/requests/{request.pk}/response",
        {"answers": [{"question": ids["overall"], "value": 4}]},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "answered"
    assert Response.objects.count() == 1
    # Answered requests leave the pending list.
    assert client.get("feedback/requests").json()["items"] == []


def test_anonymous_programme_keeps_no_person(person):
    programme = ProgrammeFactory(feedback_anonymous=True)
    request = FeedbackRequestFactory(person=person, session__programme=programme)
    ids = _questions(request)
    response = api_for(person).post(
        f"feedback/requests/{request.pk}/response",
        {"answers": [{"question": ids["overall"], "value": 3}]},
    )
    assert response.status_code == 201
    assert response.json()["anonymous"] is True
    assert response.json()["message"] == "Thank you: your answers are saved anonymously."
    assert Response.objects.get().person is None


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ([], "answers.{overall}"),  # the required rating is missing
        ([{"question": "{overall}", "value": 6}], "answers.{overall}"),
        ([{"question": "{overall}", "value": "five"}], "answers.{overall}"),
        (
            [{"question": "{overall}", "value": 4}, {"question": "{host_interest}", "value": "?"}],
            "answers.{host_interest}",
        ),
        ([{"question": "{overall}", "value": 4}, {"question": 999999, "value": 1}], "answers"),
    ],
)
def test_bad_answers_are_400_and_store_nothing(person, answers, field):
    request = FeedbackRequestFactory(person=person)
    ids = _questions(request)
    payload = [
        {
            "question": int(str(a["question"]).format(**ids)),
            "value": a["value"],
        }
        for a in answers
    ]
    response = api_for(person).post(
        f"feedback/requests/{request.pk}/response", {"answers": payload}
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field.format(**ids) in error["fields"]
    assert not Response.objects.exists()


def test_submit_types_are_strict(person):
    request = FeedbackRequestFactory(person=person)
    ids = _questions(request)
    client = api_for(person)
    for value in (True, None, {"a": 1}, 4.5, ["Yes"] * 101):
        response = client.post(
            f"feedback/requests/{request.pk}/response",
            {"answers": [{"question": ids["overall"], "value": value}]},
        )
        assert response.status_code == 422, value
    assert not Response.objects.exists()


def test_closed_request_is_409_and_others_404(person):
    closed = FeedbackRequestFactory(person=person, closes_at=timezone.now() - dt.timedelta(days=1))
    ids = _questions(closed)
    body = {"answers": [{"question": ids["overall"], "value": 4}]}
    response = api_for(person).post(f"feedback/requests/{closed.pk}/response", body)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "closed"
    other = FeedbackRequestFactory()
    assert api_for(person).post(f"feedback/requests/{other.pk}/response", body).status_code == 404
    # A read-only token may not answer.
    mine = FeedbackRequestFactory(person=person)
    read = api_for(person, scope="read")
    response = read.post(f"feedback/requests/{mine.pk}/response", body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert not Response.objects.exists()
    assert ApiClient().get("feedback/requests").status_code == 401


def test_session_form_for_whoever_sees_the_session(person):
    session = PastSessionFactory()
    body = api_for(person).get(f"feedback/sessions/{session.pk}/form").json()
    assert (body["session_id"], body["programme_id"], body["version"]) == (
        session.pk,
        session.programme_id,
        1,
    )
    assert body["questions"][0]["purpose"] == "overall"
    hidden = PastSessionFactory(visibility="invite_only")
    assert api_for(person).get(f"feedback/sessions/{hidden.pk}/form").status_code == 404


def _answered(session, person, rating: int, comment: str) -> None:
    request = FeedbackRequestFactory(session=session, person=person)
    ids = _questions(request)
    api_for(person).post(
        f"feedback/requests/{request.pk}/response",
        {
            "answers": [
                {"question": ids["overall"], "value": rating},
                {"question": ids["long_text2"], "value": comment},
            ]
        },
    )


@pytest.mark.parametrize("anonymous", [True, False])
def test_results_for_hosts_without_names(anonymous):
    host = PersonFactory(display_name="Hannah Host")
    session = PastSessionFactory(
        host=host, programme=ProgrammeFactory(feedback_anonymous=anonymous)
    )
    alice = PersonFactory(display_name="Alice Answerer")
    bob = PersonFactory(display_name="Bob Answerer")
    carol = PersonFactory(display_name="Carol Answerer")
    _answered(session, alice, 5, "Loved the demo")
    _answered(session, bob, 3, "Too fast")
    # Anonymous answers are shown in batches of three (feedback/release.py).
    _answered(session, carol, 4, "Clear slides")
    FeedbackRequestFactory(session=session)  # one unanswered
    response = api_for(host).get(f"feedback/sessions/{session.pk}/results")
    assert response.status_code == 200
    body = response.json()
    assert (body["anonymous"], body["responses"], body["requests"], body["rate"]) == (
        anonymous,
        3,
        4,
        75,
    )
    assert (body["overall_mean"], body["overall_answers"]) == (4.0, 3)
    overall = next(q for q in body["questions"] if q["purpose"] == "overall")
    assert overall["distribution"] == [
        {"label": str(n), "count": {3: 1, 4: 1, 5: 1}.get(n, 0)} for n in range(1, 6)
    ]
    assert (overall["mean"], overall["median"]) == (4.0, 4.0)
    comments = next(q for q in body["questions"] if q["kind"] == "long_text" and q["texts"])
    assert sorted(comments["texts"]) == ["Clear slides", "Loved the demo", "Too fast"]
    raw = response.content.decode()
    for name in ("Alice", "Bob", "Carol", str(alice.email), str(bob.email), str(carol.email)):
        assert name not in raw


def test_anonymous_results_wait_for_a_batch_of_three():
    host = PersonFactory(display_name="Hannah Host")
    session = PastSessionFactory(host=host, programme=ProgrammeFactory(feedback_anonymous=True))
    _answered(session, PersonFactory(), 5, "Loved the demo")
    _answered(session, PersonFactory(), 3, "Too fast")
    body = api_for(host).get(f"feedback/sessions/{session.pk}/results").json()
    assert (body["responses"], body["requests"], body["overall_mean"]) == (0, 2, None)


def test_results_permissions():
    host = PersonFactory()
    programme = ProgrammeFactory()
    session = PastSessionFactory(host=host, programme=programme)
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    for who in (host, organiser, AdminFactory()):
        assert api_for(who).get(f"feedback/sessions/{session.pk}/results").status_code == 200
    member = api_for(PersonFactory())
    response = member.get(f"feedback/sessions/{session.pk}/results")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    # An organiser of another programme is a member here.
    other = OrganiserFactory()
    ProgrammeFactory().organisers.add(other)
    assert api_for(other).get(f"feedback/sessions/{session.pk}/results").status_code == 403
    hidden = PastSessionFactory(visibility="invite_only")
    assert member.get(f"feedback/sessions/{hidden.pk}/results").status_code == 404
    assert ApiClient().get(f"feedback/sessions/{session.pk}/results").status_code == 401


def test_pending_list_query_count(person, django_assert_num_queries):
    client = api_for(person)
    client.get("me")
    for _ in range(2):
        FeedbackRequestFactory(person=person)
    with django_assert_num_queries(2):
        assert len(client.get("feedback/requests").json()["items"]) == 2
    for _ in range(8):
        FeedbackRequestFactory(person=person)
    with django_assert_num_queries(2):
        assert len(client.get("feedback/requests").json()["items"]) == 10


def test_results_query_count():
    host = PersonFactory()
    session = PastSessionFactory(host=host)
    client = api_for(host)
    client.get("me")
    path = f"feedback/sessions/{session.pk}/results"

    def call(expected):
        assert client.get(path).json()["responses"] == expected

    for _ in range(2):
        _answered(session, PersonFactory(), 4, "ok")
    few = queries_of(lambda: call(2))
    for _ in range(8):
        _answered(session, PersonFactory(), 4, "ok")
    assert 0 < queries_of(lambda: call(10)) == few <= 15
