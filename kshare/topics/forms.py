from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from kshare.tags.forms import TagsField
from kshare.tags.models import Tag
from kshare.tags.services import tags_get_or_create
from kshare.topics.models import DESCRIPTION_MAX_LENGTH, NOTE_MAX_LENGTH, TITLE_MAX_LENGTH

MAX_TAGS = 10


class TopicRequestForm(forms.Form):
    # NUL characters are refused by Django's form fields already (PostgreSQL would reject them).
    title = forms.CharField(
        label="Which topic would you like a session on?",
        max_length=TITLE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "e.g. dbt for analysts"}),
        error_messages={"required": "Name the topic you would like a session on."},
    )
    description = forms.CharField(
        label="What would you like to learn?",
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A sentence or two helps a host prepare. Markdown works.",
    )
    tags_text = TagsField(
        max_tags=MAX_TAGS,
        label="Tags or skills",
        help_text="Comma-separated, e.g. dbt, sql. People with these skills see your request.",
    )

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError("Name the topic you would like a session on.")
        return title

    def tags(self) -> list[Tag]:
        return tags_get_or_create(names=self.cleaned_data["tags_text"])


class VolunteerForm(forms.Form):
    note = forms.CharField(
        label="A note for the requester",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text="Optional, e.g. “I ran this workshop at my last job.”",
    )
