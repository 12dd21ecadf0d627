from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from kshare.questions.models import TEXT_MAX_LENGTH

TOO_LONG = f"Keep the question under {TEXT_MAX_LENGTH:,} characters (it has %(show_value)s)."
EMPTY = "Write your question first."


class AskForm(forms.Form):
    text = forms.CharField(
        label="Your question",
        max_length=TEXT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Up to {TEXT_MAX_LENGTH} characters.",
        error_messages={"required": EMPTY, "max_length": TOO_LONG},
    )
    anonymous = forms.BooleanField(
        label="Ask anonymously",
        required=False,
        help_text="The room and the host will not see your name.",
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if not text.strip():
            raise ValidationError(EMPTY)
        return text
