"""Editing a programme's feedback form, with versioning.

Every change goes through ``feedback_form_update``: when the current version already has a
response, the form is first copied into version + 1 (which becomes current) and the change is
applied to the copy, so old responses keep the questions they answered. Without responses the
current version is edited in place.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kshare.feedback.models import FeedbackForm, Question, Response
from kshare.feedback.services import feedback_form_current
from kshare.people.models import Person
from kshare.programmes.models import Programme

CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE)
MAX_CHOICES = 20
MAX_CHOICE_LENGTH = 100


def choices_clean(*, kind: str, choices: list[str]) -> list[str]:
    """Choices are required (2 to 20, distinct) for choice kinds and refused for the others."""
    cleaned = [" ".join(c.split()) for c in choices]
    cleaned = [c for c in cleaned if c]
    if kind in CHOICE_KINDS:
        if len(cleaned) < 2:
            raise ValidationError(_("Give at least two choices, one per line."))
        if len(cleaned) > MAX_CHOICES:
            raise ValidationError(_("At most %(max)s choices.") % {"max": MAX_CHOICES})
        if any(len(c) > MAX_CHOICE_LENGTH for c in cleaned):
            raise ValidationError(
                _("Keep each choice under %(max)s characters.") % {"max": MAX_CHOICE_LENGTH}
            )
        if len({c.casefold() for c in cleaned}) != len(cleaned):
            raise ValidationError(_("Each choice can appear only once."))
        return cleaned
    if cleaned:
        raise ValidationError(_("Only single and multiple choice questions have choices."))
    return []


@transaction.atomic
def feedback_form_update[T](
    *,
    programme: Programme,
    by: Person,
    change: Callable[[FeedbackForm, dict[int, Question]], T],
) -> tuple[FeedbackForm, T]:
    """Apply ``change(form, questions_by_old_id)`` to the form people will answer next.

    When the current version has responses it is copied into a new version first; the mapping
    passed to ``change`` then leads from the old question ids to their copies (in place it maps
    each question to itself). Returns the form changed and what ``change`` returned.
    """
    current = feedback_form_current(programme=programme)
    # Lock the current version so two organisers editing at once make one new version.
    form = FeedbackForm.objects.select_for_update().get(pk=current.pk)
    if not form.is_current:  # replaced while we waited for the lock
        form = FeedbackForm.objects.select_for_update().get(programme=programme, is_current=True)
    questions = list(form.questions.order_by("position"))
    if Response.objects.filter(form=form).exists():
        FeedbackForm.objects.filter(pk=form.pk).update(is_current=False)
        form = FeedbackForm.objects.create(
            programme=programme, version=form.version + 1, is_current=True, created_by=by
        )
        copies = []
        for q in questions:
            old_id = q.pk
            q.pk = None
            q.id = None
            q.form = form
            q._state.adding = True
            copies.append((old_id, q))
        Question.objects.bulk_create([q for _, q in copies])
        mapping = {old_id: q for old_id, q in copies}
    else:
        mapping = {q.pk: q for q in questions}
    return form, change(form, mapping)


def _mapped(mapping: dict[int, Question], question: Question) -> Question:
    try:
        return mapping[question.pk]
    except KeyError:
        raise ValidationError(_("This question is not on the current form any more.")) from None


def question_add(
    *,
    programme: Programme,
    by: Person,
    kind: str,
    text: str,
    help_text: str = "",
    required: bool = False,
    choices: list[str] | None = None,
) -> Question:
    """Add a question at the end of the form (a new version when the form has answers)."""
    cleaned = choices_clean(kind=kind, choices=choices or [])

    def add(form: FeedbackForm, mapping: dict[int, Question]) -> Question:
        last = form.questions.aggregate(m=Max("position"))["m"] or 0
        return Question.objects.create(
            form=form,
            position=last + 1,
            kind=kind,
            text=text,
            help_text=help_text,
            required=required,
            choices=cleaned,
        )

    return feedback_form_update(programme=programme, by=by, change=add)[1]


def question_edit(
    *,
    question: Question,
    by: Person,
    kind: str,
    text: str,
    help_text: str = "",
    required: bool = False,
    choices: list[str] | None = None,
) -> Question:
    """Change a question. Questions other features read (a purpose) keep their kind and choices."""
    cleaned = choices_clean(kind=kind, choices=choices or [])
    if question.purpose and (kind != question.kind or cleaned != list(question.choices)):
        raise ValidationError(
            _(
                "This question feeds “%(purpose)s”: its kind and choices stay as they are. "
                "You can change its wording."
            )
            % {"purpose": question.get_purpose_display()}
        )

    def edit(form: FeedbackForm, mapping: dict[int, Question]) -> Question:
        target = _mapped(mapping, question)
        target.kind, target.text, target.help_text = kind, text, help_text
        target.required, target.choices = required, cleaned
        target.save(update_fields=["kind", "text", "help_text", "required", "choices"])
        return target

    return feedback_form_update(programme=question.form.programme, by=by, change=edit)[1]


def question_delete(*, question: Question, by: Person) -> FeedbackForm:
    """Remove a question; the ones after it move up (old versions keep it)."""

    def delete(form: FeedbackForm, mapping: dict[int, Question]) -> None:
        target = _mapped(mapping, question)
        target.delete()
        # One row at a time, upwards: PostgreSQL checks the unique position on every row.
        for q in form.questions.filter(position__gt=target.position).order_by("position"):
            q.position -= 1
            q.save(update_fields=["position"])

    return feedback_form_update(programme=question.form.programme, by=by, change=delete)[0]


def question_move(*, question: Question, by: Person, up: bool) -> FeedbackForm:
    """Swap a question with its neighbour above (``up``) or below; at the edge nothing moves."""

    def move(form: FeedbackForm, mapping: dict[int, Question]) -> None:
        target = _mapped(mapping, question)
        siblings = form.questions.exclude(pk=target.pk)
        neighbour = (
            siblings.filter(position__lt=target.position).order_by("-position").first()
            if up
            else siblings.filter(position__gt=target.position).order_by("position").first()
        )
        if neighbour is None:
            return
        spare = (form.questions.aggregate(m=Max("position"))["m"] or 0) + 1
        mine, theirs = target.position, neighbour.position
        target.position = spare
        target.save(update_fields=["position"])
        neighbour.position = mine
        neighbour.save(update_fields=["position"])
        target.position = theirs
        target.save(update_fields=["position"])

    return feedback_form_update(programme=question.form.programme, by=by, change=move)[0]
