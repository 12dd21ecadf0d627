"""What answers to a feedback form may be, written once: each question's rules are its field
(``forms.question_field``: choices, lengths, required, no NUL), and ``answers_check`` applies
them to typed values (numbers, text, lists of choices). The answering page's ``ResponseForm``
is made of the same fields; the API checks the JSON answers with ``answers_check`` and answers
400 ``invalid`` with the same messages under ``answers.<question id>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError

from kshare.core.inputs import InputErrors
from kshare.feedback.forms import question_field
from kshare.feedback.models import Question


def answers_check(
    *, questions: Iterable[Question], values: Mapping[int, object], anonymous: bool = False
) -> dict[int, object]:
    """The cleaned answers by question id (what ``response_submit`` takes; unanswered optional
    questions left out), or ``InputError`` keyed by question id, in the form's order."""
    errors = InputErrors()
    answers: dict[int, object] = {}
    for question in questions:
        field = question_field(question, anonymous=anonymous)
        try:
            value = field.clean(values.get(question.pk))
        except ValidationError as exc:
            errors.add(str(question.pk), *exc.messages)
            continue
        if value not in (None, "", []):
            answers[question.pk] = value
    errors.raise_any()
    return answers
