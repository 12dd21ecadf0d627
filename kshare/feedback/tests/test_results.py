"""Aggregated results: exact numbers for a constructed set, versions, trend, query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.feedback import builder
from kshare.feedback.results import (
    median_of,
    nps_of,
    percent,
    programme_results,
    session_results,
)
from kshare.feedback.services import feedback_form_current
from kshare.feedback.tests.results_helpers import request_for, respond
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

NPS = "How likely are you to recommend it?"
SKILLS = "Which skills did you use?"
AGAIN = "Would you come again?"


@pytest.fixture
def world(organiser):
    programme = ProgrammeFactory(name="Tech Talks", slug="tech-talks")
    programme.organisers.add(organiser)
    builder.question_add(programme=programme, by=organiser, kind="nps", text=NPS)
    builder.question_add(
        programme=programme, by=organiser, kind="multiple", text=SKILLS, choices=["A", "B", "C"]
    )
    builder.question_add(programme=programme, by=organiser, kind="yes_no", text=AGAIN)
    form = feedback_form_current(programme=programme)
    now = timezone.now()
    first = PastSessionFactory(programme=programme, title="First", start=now - timedelta(days=30))
    second = PastSessionFactory(programme=programme, title="Second", start=now - timedelta(days=9))
    empty = PastSessionFactory(programme=programme, title="Empty", start=now - timedelta(days=2))
    people = PersonFactory.create_batch(4)
    for p in people:
        request_for(second, p, form)
    respond(
        second,
        form,
        {
            "overall": 5,
            NPS: 10,
            SKILLS: ["A", "B"],
            AGAIN: 1,
            "What was the most useful part?": "The demo",
        },
        people[0],
    )
    respond(second, form, {"overall": 4, NPS: 6, SKILLS: ["B"], AGAIN: 1}, people[1])
    respond(
        second,
        form,
        {"overall": 4, NPS: 9, SKILLS: [], AGAIN: 0, "What could be improved?": "Slower"},
        people[2],
    )
    respond(first, form, {"overall": 2}, PersonFactory())
    return programme, form, first, second, empty


def _question(results, text):
    return next(q for q in results.questions if q.text == text)


def test_session_results_count_responses_requests_and_rate(world) -> None:
    _, _, _, second, _ = world
    results = session_results(session=second)
    assert (results.responses, results.requests, results.rate) == (3, 4, 75)


def test_session_rating_mean_median_and_distribution(world) -> None:
    results = session_results(session=world[3])
    overall = _question(results, "Overall, how useful was the session?")
    assert overall.mean == Decimal("4.33")
    assert overall.median == Decimal("4.00")
    assert overall.distribution == [("1", 0), ("2", 0), ("3", 0), ("4", 2), ("5", 1)]
    assert overall.answers == 3
    assert results.overall_mean == Decimal("4.33")
    assert results.overall_distribution == [
        ("5 stars", 1),
        ("4 stars", 2),
        ("3 stars", 0),
        ("2 stars", 0),
        ("1 star", 0),
    ]


def test_session_nps_choices_yes_no_and_texts(world) -> None:
    results = session_results(session=world[3])
    nps = _question(results, NPS)
    assert nps.nps == 33  # 2 promoters, 1 detractor of 3
    assert (nps.mean, nps.median) == (Decimal("8.33"), Decimal("9.00"))
    assert nps.distribution == [(str(v), {6: 1, 9: 1, 10: 1}.get(v, 0)) for v in range(11)]
    skills = _question(results, SKILLS)
    assert skills.distribution == [("A", 1), ("B", 2), ("C", 0)]
    assert skills.answers == 2
    assert _question(results, AGAIN).distribution == [("Yes", 2), ("No", 1)]
    assert _question(results, "What was the most useful part?").texts == ["The demo"]
    assert _question(results, "What could be improved?").texts == ["Slower"]
    assert _question(results, "Which topics would you like next?").texts == []


def test_comparison_with_the_programme_mean(world) -> None:
    results = session_results(session=world[3])
    assert results.programme_mean == Decimal("3.75")  # (5 + 4 + 4 + 2) / 4
    assert session_results(session=world[2]).overall_mean == Decimal("2.00")


def test_session_without_responses_has_no_numbers(world) -> None:
    results = session_results(session=world[4])
    assert (results.responses, results.requests, results.rate) == (0, 0, None)
    assert (results.overall_mean, results.questions) == (None, [])


def test_programme_results_totals_and_trend_in_start_order(world) -> None:
    programme = world[0]
    results = programme_results(programme=programme)
    assert (results.responses, results.requests, results.rate) == (4, 4, 100)
    assert results.overall_mean == Decimal("3.75")
    assert [(p.session.title, p.responses, p.requests, p.rate, p.mean) for p in results.trend] == [
        ("First", 1, 0, None, Decimal("2.00")),
        ("Second", 3, 4, 75, Decimal("4.33")),
        ("Empty", 0, 0, None, None),
    ]
    assert all(q.texts == [] for q in results.questions)


def test_maths_helpers() -> None:
    assert median_of({3: 1, 4: 1}) == Decimal("3.50")
    assert median_of({1: 1, 5: 2}) == Decimal("5.00")
    assert median_of({}) is None
    assert nps_of({10: 1, 0: 1}) == 0
    assert nps_of({10: 2, 8: 1}) == 67
    assert nps_of({0: 2, 7: 1}) == -67
    assert percent(2, 3) == 67
    assert percent(1, 0) is None


def test_responses_to_an_old_version_keep_their_questions(world, organiser) -> None:
    programme, v1, _, second, _ = world
    overall_v1 = v1.questions.get(purpose="overall")
    builder.question_edit(
        question=overall_v1,
        by=organiser,
        kind="rating",
        text="How good was it, overall?",
        required=True,
    )
    v2 = feedback_form_current(programme=programme)
    v1.refresh_from_db()
    assert (v2.version, v2.is_current, v1.is_current) == (2, True, False)
    overall_v1.refresh_from_db()
    assert overall_v1.text == "Overall, how useful was the session?"
    assert v1.questions.count() == v2.questions.count() == 9
    respond(second, v2, {"overall": 1}, PersonFactory())
    results = session_results(session=second)
    assert results.several_versions is True
    labels = [(q.version, q.text) for q in results.questions if q.purpose == "overall"]
    assert labels == [(2, "How good was it, overall?"), (1, "Overall, how useful was the session?")]
    new = next(q for q in results.questions if q.version == 2 and q.purpose == "overall")
    assert new.distribution == [("1", 1), ("2", 0), ("3", 0), ("4", 0), ("5", 0)]
    assert results.overall_mean == Decimal("3.50")  # 5, 4, 4 from v1 and 1 from v2


def _count_queries(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_responses(organiser) -> None:
    programme = ProgrammeFactory()
    form = feedback_form_current(programme=programme)
    few, many = PastSessionFactory(programme=programme), PastSessionFactory(programme=programme)
    for session, n in ((few, 10), (many, 200)):
        for i in range(n):
            respond(
                session,
                form,
                {"overall": 1 + i % 5, "What could be improved?": f"x{i}", "host_interest": ["No"]},
            )
    assert session_results(session=many).responses == 200
    assert _count_queries(lambda: session_results(session=few)) == _count_queries(
        lambda: session_results(session=many)
    )
    assert _count_queries(lambda: programme_results(programme=programme)) <= 8


def test_free_text_is_not_in_submission_order(organiser) -> None:
    programme = ProgrammeFactory(feedback_anonymous=True)
    form = feedback_form_current(programme=programme)
    session = PastSessionFactory(programme=programme)
    submitted = [f"comment {i:02}" for i in range(30)]
    for text in submitted:
        respond(session, form, {"What could be improved?": text})
    shown = _question(session_results(session=session), "What could be improved?").texts
    assert sorted(shown) == submitted
    assert shown != submitted
    assert shown == _question(session_results(session=session), "What could be improved?").texts


def test_choices_removed_since_still_count_after_the_current_ones(organiser) -> None:
    programme = ProgrammeFactory()
    form = feedback_form_current(programme=programme)
    session = PastSessionFactory(programme=programme)
    respond(session, form, {"host_interest": ["Perhaps later"]})
    respond(session, form, {"host_interest": ["Yes"]})
    distribution = _question(
        session_results(session=session), "Would you like to host a session yourself?"
    ).distribution
    assert distribution == [("Yes", 1), ("Maybe", 0), ("No", 0), ("Perhaps later", 1)]
