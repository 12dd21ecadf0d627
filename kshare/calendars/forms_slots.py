"""The slot finder's search form: a window of dates (in the organiser's timezone), a length and
who to plan for."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kshare.people.models import Team

MAX_WINDOW_DAYS = 8 * 7
MAX_DAYS_AHEAD = 2 * 366
PLAN_INVITED = "invited"
PLAN_TEAM = "team"
PLAN_EVERYONE = "everyone"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class SlotFinderForm(forms.Form):
    after = forms.DateField(label=_("From"), widget=DateInput())
    before = forms.DateField(label=_("To"), widget=DateInput(), help_text=_("Up to 8 weeks."))
    minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=5, max_value=8 * 60)
    plan_for = forms.ChoiceField(
        label=_("Plan for"),
        choices=[
            (PLAN_INVITED, _("Invited people and hosts")),
            (PLAN_TEAM, _("A team")),
            (PLAN_EVERYONE, _("Everyone")),
        ],
        widget=forms.RadioSelect,
        initial=PLAN_INVITED,
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("Choose a team"),
        help_text=_("When planning for a team."),
        error_messages={"invalid_choice": _("There is no such team. Choose one from the list.")},
    )

    def clean(self) -> dict:
        data = super().clean()
        after, before = data.get("after"), data.get("before")
        if after and before:
            if before < after:
                self.add_error("before", _("The end of the window must not be before its start."))
            elif (before - after).days + 1 > MAX_WINDOW_DAYS:
                self.add_error("before", _("Search at most 8 weeks at a time."))
            elif before < timezone.localdate():
                self.add_error("before", _("This window is in the past."))
            elif (after - timezone.localdate()).days > MAX_DAYS_AHEAD:
                self.add_error("after", _("Search within the next two years."))
        if data.get("plan_for") == PLAN_TEAM and not data.get("team") and "team" not in self.errors:
            self.add_error("team", _("Choose the team to plan for."))
        return data

    def window(self) -> tuple[datetime, datetime]:
        """[start of the first day, end of the last day) in the current timezone."""
        tz = timezone.get_current_timezone()
        after: date = self.cleaned_data["after"]
        before: date = self.cleaned_data["before"] + timedelta(days=1)
        return (
            datetime.combine(after, time.min, tzinfo=tz),
            datetime.combine(before, time.min, tzinfo=tz),
        )
