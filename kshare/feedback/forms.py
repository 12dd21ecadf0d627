"""The answering form, built from the questions of one feedback form version."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kshare.feedback.models import Question

Kind = Question.Kind

SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 5000
RATING_CHOICES = [(str(n), str(n)) for n in range(1, 6)]
NPS_CHOICES = [(str(n), str(n)) for n in range(0, 11)]
YES_NO_CHOICES = [("yes", _("Yes")), ("no", _("No"))]

ANONYMOUS_HOST_HELP = _(
    "Answering yes or maybe shares your name with the organiser, together with the topics "
    "you named; your other answers stay anonymous."
)
NUL_MESSAGE = _("Remove the invisible NUL characters (\\0) from your answer: they cannot be saved.")
REQUIRED_MESSAGE = _("This question needs an answer.")


class _LengthLimit:
    """``max_length`` with a message that says how much was written, with thousands separators."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: str) -> None:
        if len(value) > self.limit:
            raise ValidationError(
                gettext("Keep it to %(limit)s characters or fewer (you wrote %(length)s).")
                % {"limit": f"{self.limit:,}", "length": f"{len(value):,}"},
                code="max_length",
            )


def _choice_field(
    choices: list[tuple[str, str]], invalid: str, **kwargs: object
) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": invalid, "required": REQUIRED_MESSAGE},
        **kwargs,
    )


def _text_field(limit: int, widget: forms.Widget, **kwargs: object) -> forms.CharField:
    # Not max_length: the browser would cut pasted text silently and Django's message is vague.
    widget.attrs["maxlength"] = str(limit)
    return forms.CharField(
        widget=widget,
        validators=[_LengthLimit(limit)],
        error_messages={
            "required": REQUIRED_MESSAGE,
            "null_characters_not_allowed": NUL_MESSAGE,
        },
        **kwargs,
    )


def question_field(question: Question, *, anonymous: bool = False) -> forms.Field:
    """The form field for one question; its cleaned value is what ``response_submit`` takes."""
    help_text = question.help_text
    if anonymous and question.purpose == Question.Purpose.HOST_INTEREST:
        help_text = f"{help_text} {ANONYMOUS_HOST_HELP}".strip()
    common: dict[str, object] = {
        "label": question.text,
        "help_text": help_text,
        "required": question.required,
    }
    if question.kind == Kind.RATING:
        return _choice_field(RATING_CHOICES, gettext("Choose a rating from 1 to 5."), **common)
    if question.kind == Kind.NPS:
        return _choice_field(NPS_CHOICES, gettext("Choose a score from 0 to 10."), **common)
    if question.kind == Kind.YES_NO:
        return _choice_field(YES_NO_CHOICES, gettext("Choose yes or no."), **common)
    if question.kind == Kind.SINGLE:
        options = [(c, c) for c in question.choices]
        return _choice_field(options, gettext("Choose one of the options listed."), **common)
    if question.kind == Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in question.choices],
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": gettext("Choose only from the options listed."),
                "required": gettext("Tick at least one option."),
                "invalid_list": gettext("Choose only from the options listed."),
            },
            **common,
        )
    if question.kind == Kind.SHORT_TEXT:
        return _text_field(SHORT_TEXT_MAX, forms.TextInput(), **common)
    if question.kind == Kind.LONG_TEXT:
        return _text_field(LONG_TEXT_MAX, forms.Textarea(attrs={"rows": 4}), **common)
    raise ValueError(f"Unknown question kind {question.kind!r}")


class ResponseForm(forms.Form):
    """One field per question, named ``q<question id>``, in the form's order."""

    def __init__(
        self, *args: object, questions: Iterable[Question], anonymous: bool = False, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q{question.pk}"] = question_field(question, anonymous=anonymous)

    def answers(self) -> dict[int, object]:
        """Cleaned values by question id; unanswered optional questions are left out."""
        result: dict[int, object] = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q{question.pk}")
            if value in (None, "", []):
                continue
            result[question.pk] = value
        return result
