"""The programme's mean overall rating is cached, and exact after every change it depends on.

Each test lets the writes commit (``django_capture_on_commit_callbacks``) as a request would, then
reads the figure again: never the cached one of before the change, never a held answer.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.feedback.models import FeedbackRequest, Question, Response
from kshare.feedback.release import feedback_release_due
from kshare.feedback.results import programme_overall_mean, session_results
from kshare.feedback.services import feedback_form_current, response_submit
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.feedback.tests.results_helpers import respond
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db


def _submit(request: FeedbackRequest, overall: int) -> Response:
    question = request.form.questions.get(purpose=Question.Purpose.OVERALL)
    return response_submit(request=request, person=request.person, data={question.pk: overall})


def _mean(programme) -> Decimal | None:
    return programme_overall_mean(programme=programme)


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def test_the_mean_is_computed_once_then_read_from_the_cache(django_capture_on_commit_callbacks):
    programme = ProgrammeFactory()
    request = FeedbackRequestFactory(session=PastSessionFactory(programme=programme))
    with django_capture_on_commit_callbacks(execute=True):
        _submit(request, 4)
    assert _queries(lambda: _mean(programme)) == 1
    assert _queries(lambda: _mean(programme)) == 0
    assert _mean(programme) == Decimal("4.00")


def test_a_new_named_answer_counts_at_once(django_capture_on_commit_callbacks):
    programme = ProgrammeFactory(feedback_anonymous=False)
    first, second = (PastSessionFactory(programme=programme) for _ in range(2))
    with django_capture_on_commit_callbacks(execute=True):
        _submit(FeedbackRequestFactory(session=first), 5)
    assert _mean(programme) == Decimal("5.00")
    with django_capture_on_commit_callbacks(execute=True):
        _submit(FeedbackRequestFactory(session=second), 2)
    assert _mean(programme) == Decimal("3.50")
    assert session_results(session=second).programme_mean == Decimal("3.50")


def test_held_anonymous_answers_count_only_once_released(django_capture_on_commit_callbacks):
    programme = ProgrammeFactory(feedback_anonymous=True)
    session = PastSessionFactory(programme=programme)
    requests = [FeedbackRequestFactory(session=session) for _ in range(4)]
    assert _mean(programme) is None
    with django_capture_on_commit_callbacks(execute=True):
        _submit(requests[0], 5)
        _submit(requests[1], 4)
    assert Response.objects.filter(session=session, released=False).count() == 2
    assert _mean(programme) is None  # two held answers say nothing yet
    with django_capture_on_commit_callbacks(execute=True):
        _submit(requests[2], 1)  # the third releases the batch
    assert Response.objects.filter(session=session, released=True).count() == 3
    assert _mean(programme) == Decimal("3.33")  # (5 + 4 + 1) / 3
    with django_capture_on_commit_callbacks(execute=True):
        _submit(requests[3], 2)
    assert _mean(programme) == Decimal("3.33")  # the fourth is held


def test_the_closing_release_counts_the_rest(django_capture_on_commit_callbacks):
    programme = ProgrammeFactory(feedback_anonymous=True)
    session = PastSessionFactory(programme=programme)
    requests = [FeedbackRequestFactory(session=session) for _ in range(8)]
    with django_capture_on_commit_callbacks(execute=True):
        for request, overall in zip(requests, (5, 5, 5, 1, 1), strict=False):
            _submit(request, overall)
    assert _mean(programme) == Decimal("5.00")  # 1 and 1 held
    closed = max(r.closes_at for r in requests) + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_release_due(now=closed)
    assert Response.objects.filter(session=session, released=False).count() == 0
    assert _mean(programme) == Decimal("3.40")  # (5 + 5 + 5 + 1 + 1) / 5


def test_a_deleted_response_no_longer_counts(django_capture_on_commit_callbacks):
    programme = ProgrammeFactory()
    session = PastSessionFactory(programme=programme)
    with django_capture_on_commit_callbacks(execute=True):
        kept = _submit(FeedbackRequestFactory(session=session), 4)
        gone = _submit(FeedbackRequestFactory(session=session), 1)
    assert _mean(programme) == Decimal("2.50")
    with django_capture_on_commit_callbacks(execute=True):
        gone.delete()
    assert _mean(programme) == Decimal("4.00")
    with django_capture_on_commit_callbacks(execute=True):
        kept.session.delete()
    assert _mean(programme) is None


def test_an_answer_changed_in_the_admin_counts_its_new_value(django_capture_on_commit_callbacks):
    programme = ProgrammeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(
            FeedbackRequestFactory(session=PastSessionFactory(programme=programme)), 2
        )
    assert _mean(programme) == Decimal("2.00")
    answer = response.answers.get()
    answer.number = 3
    with django_capture_on_commit_callbacks(execute=True):
        answer.save()
    assert _mean(programme) == Decimal("3.00")


def test_a_session_moved_to_another_programme_takes_its_ratings(
    django_capture_on_commit_callbacks,
):
    before, after = ProgrammeFactory(), ProgrammeFactory()
    session = PastSessionFactory(programme=before)
    stays = PastSessionFactory(programme=before)
    form = feedback_form_current(programme=before)
    with django_capture_on_commit_callbacks(execute=True):
        respond(session, form, {"overall": 1})
        respond(stays, form, {"overall": 5})
    assert (_mean(before), _mean(after)) == (Decimal("3.00"), None)
    session.programme = after
    with django_capture_on_commit_callbacks(execute=True):
        session.save(update_fields=["programme"])
    assert (_mean(before), _mean(after)) == (Decimal("5.00"), Decimal("1.00"))


def test_a_save_of_other_session_fields_keeps_the_cached_mean(django_capture_on_commit_callbacks):
    programme = ProgrammeFactory()
    session = PastSessionFactory(programme=programme)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(FeedbackRequestFactory(session=session), 3)
    assert _mean(programme) == Decimal("3.00")
    session.title = "Renamed"
    with django_capture_on_commit_callbacks(execute=True):
        session.save(update_fields=["title"])
    assert _queries(lambda: _mean(programme)) == 0
