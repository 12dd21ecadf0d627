from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kshare.core.inputs import InputError, form_add_input_error, form_failed
from kshare.tags.forms import TagsField
from kshare.topics.inputs import MAX_TAGS, TopicInput, topic_input_check
from kshare.topics.models import DESCRIPTION_MAX_LENGTH, NOTE_MAX_LENGTH, TITLE_MAX_LENGTH

RENAME = {"tags": "tags_text"}


class TopicRequestForm(forms.Form):
    """Text parsed into a ``TopicInput``, whose rules (``kshare.topics.inputs``) it shows."""

    input: TopicInput | None = None

    # NUL characters are refused by Django's form fields already (PostgreSQL would reject them).
    title = forms.CharField(
        label=_("Which topic would you like a session on?"),
        max_length=TITLE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autofocus": True, "placeholder": _("e.g. dbt for analysts")}
        ),
        error_messages={"required": _("Name the topic you would like a session on.")},
    )
    description = forms.CharField(
        label=_("What would you like to learn?"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A sentence or two helps a host prepare. Markdown works."),
    )
    tags_text = TagsField(
        max_tags=MAX_TAGS,
        label=_("Tags or skills"),
        help_text=_("Comma-separated, e.g. dbt, sql. People with these skills see your request."),
    )

    def clean(self) -> dict:
        data = super().clean()
        values = {
            name: data[RENAME.get(name, name)]
            for name in ("title", "description", "tags")
            if RENAME.get(name, name) in data
        }
        try:
            self.input = topic_input_check(TopicInput(**values), skip=form_failed(self, RENAME))
        except InputError as exc:
            form_add_input_error(self, exc, RENAME)
        else:
            data["title"] = self.input.title
        return data


class VolunteerForm(forms.Form):
    note = forms.CharField(
        label=_("A note for the requester"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Optional, e.g. “I ran this workshop at my last job.”"),
    )
