from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kshare.api.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses the token, e.g. “chat bot” or “my laptop script”."),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=_("Read only is enough to list sessions; writing proposes, answers and changes."),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        if "\x00" in name:
            raise forms.ValidationError(_("The name contains an invalid character."))
        return name
