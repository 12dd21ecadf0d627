"""The form builder: organisers of a programme (and admins) edit its feedback form.

Plain POST + redirect; every change goes through kshare.feedback.builder, which makes a new
form version when the current one already has answers.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kshare.feedback import builder
from kshare.feedback.models import FeedbackForm, Question, Response
from kshare.feedback.services import feedback_form_current
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programme_can_edit, programmes_visible_to

NEW_VERSION_NOTE = gettext_lazy(
    "The form already has answers, so this change made version %(version)s; "
    "earlier answers keep the questions they answered."
)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(choices=Question.Kind.choices, label=gettext_lazy("Type of question"))
    text = forms.CharField(max_length=300, label=gettext_lazy("Question"))
    help_text = forms.CharField(
        max_length=300,
        required=False,
        label=gettext_lazy("Help text"),
        help_text=gettext_lazy("Shown under the question."),
    )
    required = forms.BooleanField(required=False, label=gettext_lazy("An answer is required"))
    choices = forms.CharField(
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=gettext_lazy("Choices"),
        help_text=gettext_lazy("For single and multiple choice questions: one choice per line."),
    )

    def clean_text(self) -> str:
        text = " ".join(self.cleaned_data["text"].split())
        if not text:
            raise ValidationError(_("Write the question."))
        return text

    def clean(self) -> dict:
        data = super().clean()
        if "kind" in data:
            try:
                data["choices"] = builder.choices_clean(
                    kind=data["kind"], choices=data.get("choices", "").splitlines()
                )
            except ValidationError as error:
                self.add_error("choices", error)
        return data


def _programme(request: HttpRequest, slug: str) -> Programme:
    programme = programmes_visible_to(person=request.user).filter(slug=slug[:120]).first()
    if programme is None:
        raise Http404
    if not programme_can_edit(person=request.user, programme=programme):
        raise PermissionDenied(
            _("Only the programme's organisers and admins edit its feedback form.")
        )
    return programme


def _question(form: FeedbackForm, pk: int) -> Question:
    question = form.questions.filter(pk=pk).first()
    if question is None:
        # An old version's question, someone else's, or gone: nothing to edit here.
        raise Http404
    question.form = form
    return question


def _saved(request: HttpRequest, before: int, after: FeedbackForm, text: str) -> None:
    if after.version != before:
        text = f"{text} {NEW_VERSION_NOTE % {'version': after.version}}"
    messages.success(request, text)


def builder_view(request: HttpRequest, slug: str) -> HttpResponse:
    programme = _programme(request, slug)
    form = feedback_form_current(programme=programme)
    question_form = QuestionForm(request.POST or None)
    if request.method == "POST" and question_form.is_valid():
        data = question_form.cleaned_data
        try:
            question = builder.question_add(programme=programme, by=request.user, **data)
        except ValidationError as error:
            question_form.add_error(None, error)
        else:
            _saved(request, form.version, question.form, _("Question added."))
            return redirect("feedback:builder", slug=programme.slug)
    return render(
        request,
        "feedback/builder.html",
        {
            "programme": programme,
            "form": question_form,
            "feedback_form": form,
            "questions": list(form.questions.order_by("position")),
            "answered": Response.objects.filter(form=form).exists(),
            "nav": "programmes",
        },
    )


def builder_question_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    programme = _programme(request, slug)
    form = feedback_form_current(programme=programme)
    question = _question(form, pk)
    initial = {
        "kind": question.kind,
        "text": question.text,
        "help_text": question.help_text,
        "required": question.required,
        "choices": "\n".join(map(str, question.choices)),
    }
    question_form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and question_form.is_valid():
        try:
            edited = builder.question_edit(
                question=question, by=request.user, **question_form.cleaned_data
            )
        except ValidationError as error:
            question_form.add_error(None, error)
        else:
            _saved(request, form.version, edited.form, _("Question saved."))
            return redirect("feedback:builder", slug=programme.slug)
    return render(
        request,
        "feedback/builder_question.html",
        {
            "programme": programme,
            "form": question_form,
            "question": question,
            "answered": Response.objects.filter(form=form).exists(),
            "nav": "programmes",
        },
    )


@require_POST
def builder_question_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    programme = _programme(request, slug)
    form = feedback_form_current(programme=programme)
    question = _question(form, pk)
    after = builder.question_delete(question=question, by=request.user)
    _saved(
        request, form.version, after, _("Question “%(text)s” removed.") % {"text": question.text}
    )
    return redirect("feedback:builder", slug=programme.slug)


@require_POST
def builder_question_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    programme = _programme(request, slug)
    form = feedback_form_current(programme=programme)
    question = _question(form, pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Choose to move the question up or down. Nothing was changed."))
        return redirect("feedback:builder", slug=programme.slug)
    after = builder.question_move(question=question, by=request.user, up=direction == "up")
    _saved(request, form.version, after, _("Question moved."))
    return redirect("feedback:builder", slug=programme.slug)
