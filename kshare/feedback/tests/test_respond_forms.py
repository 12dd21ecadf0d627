"""The answering form: one field per question kind, with exact choices and messages."""

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from kshare.feedback.forms import ANONYMOUS_HOST_HELP, ResponseForm
from kshare.feedback.models import FeedbackForm, Question
from kshare.programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

Kind = Question.Kind
KINDS = [
    (Kind.RATING, "Rate it", []),
    (Kind.NPS, "Recommend it?", []),
    (Kind.SINGLE, "Best part", ["Talk", "Demo", "Q&A"]),
    (Kind.MULTIPLE, "Which apply", ["Clear", "Deep", "Fun"]),
    (Kind.SHORT_TEXT, "One word", []),
    (Kind.LONG_TEXT, "Tell us more", []),
    (Kind.YES_NO, "Again?", []),
]


def every_kind_form(*, required: bool = False) -> FeedbackForm:
    form = FeedbackForm.objects.create(programme=ProgrammeFactory(), created_at=timezone.now())
    Question.objects.bulk_create(
        Question(form=form, position=i, kind=kind, text=text, choices=choices, required=required)
        for i, (kind, text, choices) in enumerate(KINDS, 1)
    )
    return form


def build(data=None, *, required=False, anonymous=False):
    form = every_kind_form(required=required)
    questions = list(form.questions.all())
    names = {q.kind: f"q{q.pk}" for q in questions}
    answers = {names[kind]: value for kind, value in (data or {}).items()}
    return ResponseForm(answers or None, questions=questions, anonymous=anonymous), names, questions


def test_each_kind_gets_its_widget_and_exact_choices():
    form, names, _ = build()

    fields = {kind: form.fields[name] for kind, name in names.items()}
    assert [c for c, _ in fields[Kind.RATING].choices] == ["1", "2", "3", "4", "5"]
    assert [c for c, _ in fields[Kind.NPS].choices] == [str(n) for n in range(11)]
    assert list(fields[Kind.SINGLE].choices) == [("Talk", "Talk"), ("Demo", "Demo"), ("Q&A", "Q&A")]
    assert list(fields[Kind.MULTIPLE].choices) == [
        ("Clear", "Clear"),
        ("Deep", "Deep"),
        ("Fun", "Fun"),
    ]
    assert list(fields[Kind.YES_NO].choices) == [("yes", "Yes"), ("no", "No")]
    widgets = {kind: form[name].widget_type for kind, name in names.items()}
    assert widgets == {
        Kind.RATING: "radioselect",
        Kind.NPS: "radioselect",
        Kind.SINGLE: "radioselect",
        Kind.MULTIPLE: "checkboxselectmultiple",
        Kind.SHORT_TEXT: "text",
        Kind.LONG_TEXT: "textarea",
        Kind.YES_NO: "radioselect",
    }
    assert [form.fields[n].label for n in names.values()] == [text for _, text, _ in KINDS]


def test_valid_answers_are_cleaned_per_kind():
    form, _, questions = build(
        {
            Kind.RATING: "4",
            Kind.NPS: "0",
            Kind.SINGLE: "Q&A",
            Kind.MULTIPLE: ["Fun", "Clear"],
            Kind.SHORT_TEXT: "  great  ",
            Kind.LONG_TEXT: "Line one\nLine two",
            Kind.YES_NO: "no",
        }
    )

    assert form.is_valid(), form.errors
    assert form.answers() == {
        questions[0].pk: "4",
        questions[1].pk: "0",
        questions[2].pk: "Q&A",
        questions[3].pk: ["Fun", "Clear"],
        questions[4].pk: "great",
        questions[5].pk: "Line one\nLine two",
        questions[6].pk: "no",
    }


def test_unanswered_optional_questions_are_left_out():
    form, _, questions = build({Kind.RATING: "5", Kind.SHORT_TEXT: "   "})

    assert form.is_valid(), form.errors
    assert form.answers() == {questions[0].pk: "5"}


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (Kind.RATING, "7", "Choose a rating from 1 to 5."),
        (Kind.RATING, "0", "Choose a rating from 1 to 5."),
        (Kind.RATING, "4.5", "Choose a rating from 1 to 5."),
        (Kind.NPS, "11", "Choose a score from 0 to 10."),
        (Kind.NPS, "-1", "Choose a score from 0 to 10."),
        (Kind.SINGLE, "Lunch", "Choose one of the options listed."),
        (Kind.MULTIPLE, ["Clear", "Boring"], "Choose only from the options listed."),
        (Kind.YES_NO, "perhaps", "Choose yes or no."),
        (Kind.RATING, "4\x00", "Choose a rating from 1 to 5."),
        (
            Kind.SHORT_TEXT,
            "x" * 301,
            "Keep it to 300 characters or fewer (you wrote 301).",
        ),
        (
            Kind.LONG_TEXT,
            "x" * 1_048_576,
            "Keep it to 5,000 characters or fewer (you wrote 1,048,576).",
        ),
        (
            Kind.LONG_TEXT,
            "nice\x00talk",
            "Remove the invisible NUL characters (\\0) from your answer: they cannot be saved.",
        ),
        (
            Kind.SHORT_TEXT,
            "\x00",
            "Remove the invisible NUL characters (\\0) from your answer: they cannot be saved.",
        ),
    ],
)
def test_bad_values_get_a_clear_message(kind, value, message):
    form, names, _ = build({kind: value})

    assert form.is_valid() is False
    assert form.errors == {names[kind]: [message]}


def test_long_text_of_exactly_5000_characters_is_accepted():
    form, _, questions = build({Kind.LONG_TEXT: "y" * 5000})

    assert form.is_valid(), form.errors
    assert form.answers() == {questions[5].pk: "y" * 5000}


def test_required_questions_must_be_answered():
    form, names, _ = build({Kind.SHORT_TEXT: "only this"}, required=True)

    assert form.is_valid() is False
    expected = {name: ["This question needs an answer."] for name in names.values()}
    expected[names[Kind.MULTIPLE]] = ["Tick at least one option."]
    del expected[names[Kind.SHORT_TEXT]]
    assert form.errors == expected


def test_optional_questions_say_so_and_radio_groups_use_a_fieldset():
    form, names, _ = build()
    html = render_to_string("web/_field.html", {"field": form[names[Kind.RATING]]})

    assert "<fieldset>" in html
    assert '<legend>Rate it <span class="optional">(optional)</span></legend>' in html
    assert html.count('type="radio"') == 5


def test_host_question_warns_about_the_name_only_in_anonymous_programmes():
    form = FeedbackForm.objects.create(programme=ProgrammeFactory())
    question = Question.objects.create(
        form=form,
        position=1,
        kind=Kind.SINGLE,
        text="Would you host?",
        choices=["Yes", "Maybe", "No"],
        purpose=Question.Purpose.HOST_INTEREST,
    )

    anonymous = ResponseForm(questions=[question], anonymous=True)
    named = ResponseForm(questions=[question], anonymous=False)

    assert anonymous.fields[f"q{question.pk}"].help_text == ANONYMOUS_HOST_HELP
    assert named.fields[f"q{question.pk}"].help_text == ""
