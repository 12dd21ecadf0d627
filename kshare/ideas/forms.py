from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kshare.core.inputs import InputError, form_add_input_error, form_failed
from kshare.ideas.inputs import IdeaInput, idea_input_check
from kshare.ideas.models import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    STATUS_NEXT,
    TITLE_MAX_LENGTH,
    Idea,
    ProductArea,
    Status,
)
from kshare.sessions.models import Format

# A translated message with its numbers filled in when it is shown (in the reader's language);
# Django fills in %(show_value)s afterwards.
_interpolate = lazy(lambda text, params: str(text) % params, str)
TOO_LONG = {
    "title": gettext_lazy("Keep the title under %(limit)s characters (it has %%(show_value)s)."),
    "description": gettext_lazy(
        "Keep the description under %(limit)s characters (it has %%(show_value)s)."
    ),
    "comment": gettext_lazy(
        "Keep the comment under %(limit)s characters (it has %%(show_value)s)."
    ),
}


def _too_long(what: str, limit: int) -> dict[str, str]:
    return {"max_length": _interpolate(TOO_LONG[what], {"limit": f"{limit:,}"})}


class IdeaForm(forms.Form):
    """Title and description; NUL characters are refused by Django's fields already."""

    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": gettext_lazy("Give the idea a title."),
            **_too_long("title", 200),
        },
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Markdown."),
        error_messages=_too_long("description", DESCRIPTION_MAX_LENGTH),
    )

    def clean(self) -> dict:
        data = super().clean()
        values = {name: data[name] for name in ("title", "description") if name in data}
        try:
            checked = idea_input_check(IdeaInput(**values), skip=form_failed(self))
        except InputError as exc:
            form_add_input_error(self, exc)
        else:
            data["title"] = checked.title
        return data


class NewIdeaForm(IdeaForm):
    """The full form: an idea of a session (given by the page) or of a product area."""

    area = forms.ModelChoiceField(
        label=gettext_lazy("Product area"),
        queryset=ProductArea.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=gettext_lazy("— none —"),
    )

    def __init__(self, *args, has_session: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_session = has_session
        if not has_session:
            self.fields["area"].required = True
            self.fields["area"].empty_label = None
            self.fields["area"].error_messages["required"] = _("Choose the product area.")


class CommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy("Write a comment first."),
            **_too_long("comment", COMMENT_MAX_LENGTH),
        },
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"), choices=Status.choices)

    def __init__(self, *args, idea: Idea, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = STATUS_NEXT[idea.status]
        self.fields["status"].choices = [c for c in Status.choices if c[0] in allowed]
        self.fields["status"].error_messages["invalid_choice"] = _(
            "An idea that is “%(status)s” cannot get that status."
        ) % {"status": idea.get_status_display()}


class PromoteForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Turn it into"),
        choices=[
            (Format.WORKSHOP, gettext_lazy("A workshop")),
            (Format.TALK, gettext_lazy("A talk")),
        ],
        initial=Format.WORKSHOP,
        widget=forms.RadioSelect,
    )


class AreaForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        error_messages={"required": gettext_lazy("Name the product area.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
