from __future__ import annotations

from django import forms

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


def _too_long(what: str, limit: int) -> dict[str, str]:
    return {"max_length": f"Keep the {what} under {limit:,} characters (it has %(show_value)s)."}


class IdeaForm(forms.Form):
    """Title and description; NUL characters are refused by Django's fields already."""

    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        error_messages={"required": "Give the idea a title.", **_too_long("title", 200)},
    )
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown.",
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
        label="Product area",
        queryset=ProductArea.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="— none —",
    )

    def __init__(self, *args, has_session: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_session = has_session
        if not has_session:
            self.fields["area"].required = True
            self.fields["area"].empty_label = None
            self.fields["area"].error_messages["required"] = "Choose the product area."


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Write a comment first.",
            **_too_long("comment", COMMENT_MAX_LENGTH),
        },
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="New status", choices=Status.choices)

    def __init__(self, *args, idea: Idea, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = STATUS_NEXT[idea.status]
        self.fields["status"].choices = [c for c in Status.choices if c[0] in allowed]
        self.fields["status"].error_messages["invalid_choice"] = (
            f"An idea that is “{idea.get_status_display()}” cannot get that status."
        )


class PromoteForm(forms.Form):
    format = forms.ChoiceField(
        label="Turn it into",
        choices=[(Format.WORKSHOP, "A workshop"), (Format.TALK, "A talk")],
        initial=Format.WORKSHOP,
        widget=forms.RadioSelect,
    )


class AreaForm(forms.Form):
    name = forms.CharField(max_length=100, error_messages={"required": "Name the product area."})
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
