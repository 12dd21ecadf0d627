"""Building responses straight in the database for the results tests (no answering flow)."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.utils import timezone

from kshare.feedback.models import Answer, FeedbackRequest, Question, Response
from kshare.feedback.services import respondent_hash

_people = count(1_000_000)


def request_for(session, person, form) -> FeedbackRequest:
    return FeedbackRequest.objects.create(
        session=session, person=person, form=form, closes_at=timezone.now() + timedelta(days=14)
    )


def respond(session, form, values: dict[str, object], person=None) -> Response:
    """One response; ``values`` maps a question's text (or purpose) to its answer."""
    anonymous = session.programme.feedback_anonymous
    response = Response.objects.create(
        session=session,
        form=form,
        person=None if anonymous else person,
        respondent_hash=respondent_hash(
            session_id=session.pk, person_id=person.pk if person else next(_people)
        ),
    )
    questions = {q.purpose or q.text: q for q in form.questions.all()}
    questions |= {q.text: q for q in form.questions.all()}
    answers = []
    for key, value in values.items():
        q = questions[key]
        answer = Answer(response=response, question=q)
        if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            answer.selected = list(value)
        elif q.kind in (Question.Kind.SHORT_TEXT, Question.Kind.LONG_TEXT):
            answer.text = value
        else:
            answer.number = int(value)
        answers.append(answer)
    Answer.objects.bulk_create(answers)
    return response
