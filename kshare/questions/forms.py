from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kshare.questions.models import TEXT_MAX_LENGTH

TOO_LONG = _("Keep the question under %(limit_value)s characters (it has %(show_value)s).")
EMPTY = _("Write your question first.")


class AskForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        max_length=TEXT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": EMPTY, "max_length": TOO_LONG},
    )
    anonymous = forms.BooleanField(
        label=_("Ask anonymously"),
        required=False,
        help_text=_("The room and the host will not see your name."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["text"].help_text = gettext("Up to %(limit)s characters.") % {
            "limit": TEXT_MAX_LENGTH
        }

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if not text.strip():
            raise ValidationError(EMPTY)
        return text
