from __future__ import annotations

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kshare.chat.models import Platform
from kshare.chat.services import URL_MAX_LENGTH
from kshare.programmes.models import Programme


class ChannelForm(forms.Form):
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    name = forms.CharField(
        label=_("Channel"), max_length=100, help_text=_("How people know it, e.g. #tech-talks.")
    )
    url = forms.CharField(
        label=_("Webhook address"),
        max_length=URL_MAX_LENGTH,
        help_text=_(
            "The incoming webhook's https:// address from the platform. It is a secret: "
            "kshare stores it encrypted and never shows it again."
        ),
        # A password field: the address is not echoed back into the page after an error.
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("Every programme"),
    )
    timezone = forms.CharField(
        label=_("Timezone of the channel"),
        max_length=64,
        help_text=_("Times in posts are shown in it, e.g. Europe/Berlin."),
    )

    def __init__(self, *args, programmes: QuerySet[Programme], every: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].initial = settings.TIME_ZONE
        field = self.fields["programme"]
        field.queryset = programmes  # type: ignore[attr-defined]
        if not every:
            # Organisers connect a channel for a programme they organise.
            field.required = True
            field.empty_label = None  # type: ignore[attr-defined]
