from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from kshare.core.recurrence import timezone_get
from kshare.core.widgets import DateInput, DateTimeLocalInput
from kshare.people.forms import TimezoneField
from kshare.people.models import Team
from kshare.people.offices import country_choices
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.scheduling.rhythm.services import MAX_DURATION_MINUTES

CUSTOM = "custom"
# (value, label, RRULE); "custom" reads the rule field.
PRESETS = (
    ("weekly_monday", _("Every Monday"), "FREQ=WEEKLY;BYDAY=MO"),
    ("first_friday", _("First Friday of the month"), "FREQ=MONTHLY;BYDAY=1FR"),
    ("weekdays", _("Every weekday (Monday to Friday)"), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
)
PRESET_RULES = {value: rule for value, _label, rule in PRESETS}


def preset_for(rrule: str) -> str:
    """The preset a stored rule is, or "custom"."""
    for value, rule in PRESET_RULES.items():
        if rule == rrule:
            return value
    return CUSTOM


def rule_label(rrule: str) -> str:
    """A preset's words, or the rule itself."""
    for _value, label, rule in PRESETS:
        if rule == rrule:
            return label
    return rrule


def service_errors_add(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields of the same name (or the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class RhythmEventForm(forms.Form):
    """The series, entered as a local date + time in a chosen timezone (the organiser's by
    default). Validation of the rule and times is the service's; its errors land on these
    fields (same names)."""

    name = forms.CharField(
        label=_("Name"), max_length=120, widget=forms.TextInput(attrs={"maxlength": 120})
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("The whole company"),
        help_text=_("A team's event appears in that team's calendar; otherwise in everyone's."),
    )
    location = forms.CharField(label=_("Location"), required=False, max_length=200)
    preset = forms.ChoiceField(
        label=_("Repeats"),
        choices=[(value, label) for value, label, _rule in PRESETS]
        + [(CUSTOM, _("Custom rule (RRULE)"))],
        widget=forms.RadioSelect,
        initial="weekly_monday",
    )
    rrule = forms.CharField(
        label=_("Custom rule"),
        required=False,
        max_length=500,
        help_text=_(
            "Only for “Custom rule”: an iCalendar RRULE such as "
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH (every other Thursday)."
        ),
    )
    start_date = forms.DateField(
        label=_("First day"),
        widget=DateInput(),
        help_text=_("The series starts on the first matching day on or after this one."),
    )
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
        initial=30,
    )
    timezone = TimezoneField(
        label=_("Timezone"),
        help_text=_("The event keeps this wall-clock time when daylight-saving time changes."),
    )
    skip_holidays = forms.BooleanField(
        label=_("Skip holidays"),
        required=False,
        help_text=_(
            "No occurrence on the company's closure days, nor on the public holidays of "
            "the country and region below."
        ),
    )
    holiday_country = forms.ChoiceField(
        label=_("Public holidays of"),
        required=False,
        choices=lambda: [("", _("No country (closure days only)")), *country_choices()],
    )
    holiday_subdivision = forms.CharField(
        label=_("Region"),
        required=False,
        max_length=10,
        help_text=_("Optional: a state or region with its own holidays, e.g. BY (Bavaria)."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")

    def clean(self) -> dict:
        data = super().clean()
        preset = data.get("preset")
        if preset == CUSTOM:
            if not (data.get("rrule") or "").strip():
                self.add_error("rrule", _("Write the rule, or choose one of the presets."))
        elif preset:
            data["rrule"] = PRESET_RULES[preset]
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "team": data["team"],
            "location": data["location"],
            "rrule": data["rrule"],
            "start_date": data["start_date"],
            "start_time": data["start_time"],
            "duration_minutes": data["duration_minutes"],
            "timezone": data["timezone"],
            "skip_holidays": data["skip_holidays"],
            "holiday_country": data["holiday_country"],
            "holiday_subdivision": data["holiday_subdivision"].strip().upper(),
        }

    @classmethod
    def initial_for(cls, event: RhythmEvent) -> dict:
        local = event.starts.astimezone(timezone_get(event.timezone))
        preset = preset_for(event.rrule)
        return {
            "name": event.name,
            "description": event.description,
            "team": event.team_id,
            "location": event.location,
            "preset": preset,
            "rrule": event.rrule if preset == CUSTOM else "",
            "start_date": local.date(),
            "start_time": local.time().replace(second=0, microsecond=0),
            "duration_minutes": event.duration_minutes,
            "timezone": event.timezone,
            "skip_holidays": event.skip_holidays,
            "holiday_country": event.holiday_country,
            "holiday_subdivision": event.holiday_subdivision,
        }


class OccurrenceCancelForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        help_text=_("Optional, e.g. “Public holiday”. Shown with the occurrence."),
    )


class OccurrenceMoveForm(forms.Form):
    """New start and end in the organiser's own timezone (the active one)."""

    new_start = forms.DateTimeField(label=_("New start"), widget=DateTimeLocalInput())
    new_end = forms.DateTimeField(label=_("New end"), widget=DateTimeLocalInput())
    note = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("new_start"), data.get("new_end")
        if start and end and end <= start:
            self.add_error("new_end", _("The end must be after the start."))
        return data


class ClosureDayForm(forms.Form):
    """A closure day: day and month, every year or one year only."""

    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. “Company retreat”."))
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, choices=list(MONTHS.items()))
    day = forms.IntegerField(label=_("Day"), min_value=1, max_value=31)
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=2000,
        max_value=2999,
        help_text=_("Empty: every year."),
    )
