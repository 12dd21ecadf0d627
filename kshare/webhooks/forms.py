from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kshare.programmes.models import Programme
from kshare.webhooks.models import URL_MAX_LENGTH, Event


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("Address"),
        max_length=URL_MAX_LENGTH,
        help_text=_("kshare POSTs a signed JSON payload here for each event (https:// preferred)."),
        widget=forms.URLInput(attrs={"placeholder": "https://chat.example.com/hooks/…"}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=200,
        help_text=_("What it is for, e.g. “announce in #tech-talks”."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("Every programme"),
    )

    def __init__(self, *args, programmes: QuerySet[Programme], every: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["programme"]
        field.queryset = programmes  # type: ignore[attr-defined]
        if not every:
            # Organisers subscribe for a programme they organise.
            field.required = True
            field.empty_label = None  # type: ignore[attr-defined]
