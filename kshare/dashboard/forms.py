from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from kshare.dashboard.figures import Filters
from kshare.people.models import Team
from kshare.programmes.models import Programme

PERIODS = [
    ("3m", "Last 3 months"),
    ("6m", "Last 6 months"),
    ("12m", "Last 12 months"),
    ("year", "This year"),
    ("custom", "Custom: from … to …"),
]
MAX_DAYS = 5 * 366  # a longer custom period is refused (the charts list every month)
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)


def months_back(today: date, months: int) -> date:
    """First day of the month ``months - 1`` months before today's: 3 → the last 3 months."""
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


class FilterForm(forms.Form):
    """The dashboard's GET filters: programme, team and a period preset or a custom range."""

    programme = forms.ModelChoiceField(
        queryset=Programme.objects.order_by("name"), required=False, empty_label="All programmes"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="All teams"
    )
    period = forms.ChoiceField(choices=PERIODS, required=False, initial="12m")
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        today = timezone.localdate(timezone=timezone.get_default_timezone())
        period = data.get("period") or "12m"
        if period == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None:
                self.add_error("start", "Choose the first day of the period.")
            if end is None:
                self.add_error("end", "Choose the last day of the period.")
            for name in ("start", "end"):
                value = data.get(name)
                if value is not None and not FIRST_DAY <= value <= LAST_DAY:
                    self.add_error(name, "Choose a date between 1970 and 2999.")
                    data[name] = None
            start, end = data.get("start"), data.get("end")
            if start and end:
                if end < start:
                    self.add_error("end", "The period must end on or after its first day.")
                elif (end - start).days > MAX_DAYS:
                    self.add_error("end", "Choose a period of at most five years.")
        elif period == "year":
            data["start"], data["end"] = today.replace(month=1, day=1), today
        else:
            data["start"], data["end"] = months_back(today, int(period[:-1])), today
        data["period"] = period
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            programme_id=data["programme"].pk if data.get("programme") else None,
            team_id=data["team"].pk if data.get("team") else None,
            start=data["start"],
            end=data["end"],
        )
