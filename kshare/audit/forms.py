from __future__ import annotations

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kshare.audit.models import AuditEntry
from kshare.audit.selectors import AuditFilter
from kshare.core.widgets import DateInput


class AuditFilterForm(forms.Form):
    who = forms.CharField(required=False, max_length=200, label=_("Who (name or e-mail)"))
    action = forms.ChoiceField(
        required=False,
        label=_("Action"),
        choices=[("", _("Any action")), *AuditEntry.Action.choices],
    )
    target_type = forms.ChoiceField(
        required=False,
        label=pgettext_lazy("audit: the object acted on", "What"),
        choices=[("", _("Anything"))],
    )
    start = forms.DateField(
        required=False,
        label=pgettext_lazy("audit filter: start date", "From"),
        widget=DateInput(),
    )
    end = forms.DateField(
        required=False,
        label=pgettext_lazy("audit filter: end date", "Until"),
        widget=DateInput(),
    )

    def __init__(self, *args, target_types: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_type"].choices = [("", gettext("Anything"))] + [
            (t, t) for t in target_types
        ]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(gettext("“Until” must not be before “From”."))
        return data

    def filters(self) -> AuditFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilter(
            who=(data.get("who") or "").strip(),
            action=data.get("action") or "",
            target_type=data.get("target_type") or "",
            start=data.get("start"),
            end=data.get("end"),
        )
