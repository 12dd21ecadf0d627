"""Writes for feedback: forms and their versions, requests, responses, the host pipeline."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import transaction

from kshare.feedback.models import FeedbackForm, Question
from kshare.people.models import Person
from kshare.programmes.models import Programme

# (kind, text, required, choices, purpose)
DEFAULT_QUESTIONS: list[tuple[str, str, bool, list[str], str]] = [
    (Question.Kind.RATING, "Overall, how useful was the session?", True, [], "overall"),
    (Question.Kind.LONG_TEXT, "What was the most useful part?", False, [], ""),
    (Question.Kind.LONG_TEXT, "What could be improved?", False, [], ""),
    (Question.Kind.SHORT_TEXT, "Which topics would you like next?", False, [], "topics_wanted"),
    (
        Question.Kind.SINGLE,
        "Would you like to host a session yourself?",
        False,
        ["Yes", "Maybe", "No"],
        "host_interest",
    ),
]


def respondent_hash(*, session_id: int, person_id: int) -> str:
    """A keyed hash of (session, person): enforces one response each without storing who.

    HMAC-SHA256 with the installation's secret key, so it cannot be recomputed from the ids
    alone by someone who reads the database or an export.
    """
    message = f"kshare.feedback:{session_id}:{person_id}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def feedback_form_create_default(*, programme: Programme, by: Person | None = None) -> FeedbackForm:
    """The sensible default form every programme starts with (version 1, current)."""
    form = FeedbackForm.objects.create(programme=programme, version=1, created_by=by)
    Question.objects.bulk_create(
        Question(
            form=form,
            position=i,
            kind=kind,
            text=text,
            required=required,
            choices=choices,
            purpose=purpose,
        )
        for i, (kind, text, required, choices, purpose) in enumerate(DEFAULT_QUESTIONS, 1)
    )
    return form


def feedback_form_current(*, programme: Programme) -> FeedbackForm:
    """The programme's current form, creating the default one when it has none."""
    form = FeedbackForm.objects.filter(programme=programme, is_current=True).first()
    return form or feedback_form_create_default(programme=programme)
