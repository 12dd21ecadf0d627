"""``answers_check``: the answering form's rules for typed answers (the API's), same messages."""

from __future__ import annotations

import pytest

from kshare.core.inputs import InputError
from kshare.feedback.forms import LONG_TEXT_MAX, NUL_MESSAGE, REQUIRED_MESSAGE
from kshare.feedback.inputs import answers_check
from kshare.feedback.models import Question

Kind = Question.Kind


def q(pk: int, kind: str, *, required: bool = True, choices: list[str] | None = None) -> Question:
    return Question(pk=pk, kind=kind, text=f"Q{pk}", required=required, choices=choices or [])


def refused(questions: list[Question], values: dict[int, object]) -> dict[str, list[str]]:
    with pytest.raises(InputError) as caught:
        answers_check(questions=questions, values=values)
    return caught.value.fields


def test_valid_answers_are_cleaned_and_empty_optional_ones_left_out():
    questions = [
        q(1, Kind.RATING),
        q(2, Kind.MULTIPLE, choices=["a", "b"]),
        q(3, Kind.LONG_TEXT, required=False),
        q(4, Kind.YES_NO),
    ]
    assert answers_check(questions=questions, values={1: 5, 2: ["b"], 3: "  ", 4: "yes"}) == {
        1: "5",
        2: ["b"],
        4: "yes",
    }


@pytest.mark.parametrize(
    "question, value, message",
    [
        (q(1, Kind.RATING), 6, "Choose a rating from 1 to 5."),
        (q(1, Kind.RATING), ["5"], "Choose a rating from 1 to 5."),
        (q(1, Kind.NPS), 11, "Choose a score from 0 to 10."),
        (q(1, Kind.YES_NO), "maybe", "Choose yes or no."),
        (q(1, Kind.SINGLE, choices=["a"]), "b", "Choose one of the options listed."),
        (q(1, Kind.MULTIPLE, choices=["a"]), ["b"], "Choose only from the options listed."),
        (q(1, Kind.MULTIPLE, choices=["a"]), "a", "Choose only from the options listed."),
        (q(1, Kind.MULTIPLE, choices=["a"]), None, "Tick at least one option."),
        (q(1, Kind.SHORT_TEXT), None, REQUIRED_MESSAGE),
        (q(1, Kind.SHORT_TEXT), "a\x00b", NUL_MESSAGE),
        (
            q(1, Kind.LONG_TEXT),
            "x" * (LONG_TEXT_MAX + 1),
            "Keep it to 5,000 characters or fewer (you wrote 5,001).",
        ),
    ],
)
def test_each_rule_gives_the_forms_message(question, value, message):
    assert refused([question], {1: value}) == {"1": [message]}
