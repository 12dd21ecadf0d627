"""feedback/signals.py: what feedback announces, with which ids, and only once committed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from kshare.feedback import signals
from kshare.feedback.models import FeedbackRequest, Question, Response
from kshare.feedback.services import response_submit
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db


class Heard:
    """A receiver that writes down what it was sent."""

    def __init__(self, signal: Any) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []
        self.signal = signal

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal")
        self.calls.append((sender, kwargs))

    def __enter__(self) -> Heard:
        self.signal.connect(self, weak=False)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.signal.disconnect(self)


def _submit(request: FeedbackRequest, overall: str) -> Response:
    question = Question.objects.get(form=request.form, purpose="overall")
    return response_submit(request=request, person=request.person, data={question.pk: overall})


def _requests(*, anonymous: bool, people: int) -> list[FeedbackRequest]:
    session = PastSessionFactory(programme=ProgrammeFactory(feedback_anonymous=anonymous))
    return [FeedbackRequestFactory(session=session, person=PersonFactory()) for _ in range(people)]


def test_a_named_response_is_announced_with_its_session_and_person_after_commit(
    django_capture_on_commit_callbacks,
):
    [request] = _requests(anonymous=False, people=1)
    with (
        Heard(signals.feedback_received) as heard,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _submit(request, "5")
        assert heard.calls == []
    assert heard.calls == [
        (Response, {"session_id": request.session_id, "person_id": request.person_id})
    ]


def test_a_rolled_back_response_announces_nothing(django_capture_on_commit_callbacks):
    [request] = _requests(anonymous=False, people=1)
    with (
        Heard(signals.feedback_received) as heard,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _submit(request, "5")
        raise RuntimeError("the view failed after the response")
    assert (heard.calls, callbacks) == ([], [])


def test_anonymous_responses_are_announced_only_as_a_released_batch(
    django_capture_on_commit_callbacks, settings
):
    settings.KSHARE_FEEDBACK_RELEASE_BATCH = 3
    requests = _requests(anonymous=True, people=3)
    with Heard(signals.feedback_received) as received, Heard(signals.feedback_released) as released:
        for request, overall in zip(requests[:2], ("5", "4"), strict=True):
            with django_capture_on_commit_callbacks(execute=True):
                _submit(request, overall)
        assert released.calls == []
        with django_capture_on_commit_callbacks(execute=True):
            _submit(requests[2], "3")
    assert received.calls == []
    assert released.calls == [(Response, {"session_id": requests[0].session_id, "released": 3})]
