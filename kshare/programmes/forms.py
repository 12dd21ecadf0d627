from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kshare.core import recurrence
from kshare.core.language import error_text
from kshare.core.timezones import timezone_or_utc
from kshare.core.widgets import DateTimeLocalInput
from kshare.people.forms import TimezoneField
from kshare.people.models import Team
from kshare.programmes.models import Programme, Visibility
from kshare.programmes.reminder_offsets import (
    HOST_REMINDER_MAX_DAYS,
    INVITEE_REMINDER_MAX_HOURS,
    OffsetsError,
    offsets_format,
    offsets_parse,
)

# Fields an older form (or a client that does not know them) may leave out: they keep their value.
KEEP_WHEN_MISSING = (
    "feedback_open_days",
    "cadence_timezone",
    "cadence_minutes",
    "host_reminder_days",
    "invitee_reminder_hours",
    "nudge_days",
    "auto_held_after_hours",
)
# Far-off years would overflow when converted between timezones (and mean a typo anyway).
FIRST_SLOT_YEARS = (2000, 2100)


class ProgrammeForm(forms.ModelForm):
    cadence_preset = forms.ChoiceField(
        label=_("Cadence"),
        required=False,
        choices=[
            (recurrence.PRESET_NONE, _("No fixed cadence")),
            (recurrence.PRESET_WEEKLY, _("Every week, on the first slot's weekday and time")),
            (
                recurrence.PRESET_FORTNIGHTLY,
                _("Every second week, on the first slot's weekday and time"),
            ),
            (recurrence.PRESET_MONTHLY, _("The first of that weekday each month")),
            (recurrence.PRESET_CUSTOM, _("Custom recurrence rule (RRULE)")),
        ],
        widget=forms.RadioSelect,
    )
    cadence_first = forms.DateTimeField(
        label=_("First slot"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Date and time in the cadence's timezone, e.g. a Thursday at 16:00."),
    )
    cadence_timezone = TimezoneField(
        label=_("Cadence timezone"),
        required=False,
        help_text=_("The slots keep their wall-clock time in this timezone across summer time."),
    )

    class Meta:
        model = Programme
        fields = [
            "name",
            "description",
            "cadence",
            "lead_time_days",
            "visibility",
            "teams",
            "feedback_anonymous",
            "feedback_open_days",
            "cadence_rrule",
            "cadence_timezone",
            "cadence_minutes",
            "host_reminder_days",
            "invitee_reminder_hours",
            "nudge_days",
            "auto_held_after_hours",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
            "teams": forms.CheckboxSelectMultiple,
            "visibility": forms.RadioSelect,
        }
        labels = {
            "name": _("Name"),
            "description": _("Description"),
            "visibility": _("Visibility"),
            "teams": _("Teams"),
            "auto_held_after_hours": _("Mark held automatically after (hours)"),
            "cadence": _("Cadence in words"),
            "lead_time_days": _("Invitation lead time (days)"),
            "feedback_open_days": _("Feedback form open for (days)"),
            "cadence_rrule": _("Custom recurrence rule"),
            "cadence_minutes": _("Slot length (minutes)"),
            "host_reminder_days": _("Host reminders (days before)"),
            "invitee_reminder_hours": _("Invitee reminders (hours before)"),
            "nudge_days": _("Nudge invitees who have not answered (days before)"),
        }
        help_texts = {
            "cadence": _(
                "Shown on the programme page; filled in from the cadence when left empty."
            ),
            "cadence_rrule": _(
                "Only for a custom cadence: an RFC 5545 RRULE, e.g. "
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH."
            ),
            "host_reminder_days": _("Comma-separated, e.g. 7,1. Empty: no host reminders."),
            "invitee_reminder_hours": _("Comma-separated, e.g. 24,1. Empty: no invitee reminders."),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.order_by("name")
        self.fields["teams"].required = False
        for name in KEEP_WHEN_MISSING:
            self.fields[name].required = False
        self.fields["cadence_rrule"].required = False
        programme = self.instance
        tz_name = (
            programme.cadence_timezone if programme.pk else timezone.get_current_timezone_name()
        )
        self.initial.setdefault("cadence_timezone", tz_name)
        if programme.cadence_rrule and programme.cadence_starts:
            first = programme.cadence_starts.astimezone(timezone_or_utc(programme.cadence_timezone))
            self.initial["cadence_first"] = first.replace(tzinfo=None)
            self.initial["cadence_preset"] = recurrence.preset_for(
                programme.cadence_rrule, first=first
            )
        else:
            self.initial["cadence_preset"] = recurrence.PRESET_NONE

    def _missing(self, name: str) -> bool:
        return self.is_bound and name not in self.data

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the programme a name."))
        clash = Programme.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("A programme with this name exists already."))
        return name

    def clean_feedback_open_days(self) -> int:
        days = self.cleaned_data.get("feedback_open_days")
        return self.instance.feedback_open_days if days is None else days

    def clean_cadence_minutes(self) -> int:
        minutes = self.cleaned_data.get("cadence_minutes")
        return self.instance.cadence_minutes if minutes is None else minutes

    def clean_nudge_days(self) -> int:
        days = self.cleaned_data.get("nudge_days")
        return self.instance.nudge_days if days is None else days

    def clean_auto_held_after_hours(self) -> int:
        hours = self.cleaned_data.get("auto_held_after_hours")
        return self.instance.auto_held_after_hours if hours is None else hours

    def clean_cadence_timezone(self) -> str:
        return self.cleaned_data.get("cadence_timezone") or self.instance.cadence_timezone

    def _offsets(self, name: str, unit: str, maximum: int) -> str:
        if self._missing(name):
            return getattr(self.instance, name)
        try:
            values = offsets_parse(self.cleaned_data.get(name) or "", unit=unit, maximum=maximum)
        except OffsetsError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return offsets_format(values)

    def clean_host_reminder_days(self) -> str:
        return self._offsets("host_reminder_days", "days", HOST_REMINDER_MAX_DAYS)

    def clean_invitee_reminder_hours(self) -> str:
        return self._offsets("invitee_reminder_hours", "hours", INVITEE_REMINDER_MAX_HOURS)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("visibility") == Visibility.TEAMS and not data.get("teams"):
            self.add_error(
                "teams", _("Choose at least one team, or open the programme to everyone.")
            )
        self._clean_cadence(data)
        return data

    def _clean_cadence(self, data: dict) -> None:
        """Turn the preset (or custom rule), first slot and timezone into the stored cadence."""
        if self._missing("cadence_preset"):
            data["cadence_rrule"] = self.instance.cadence_rrule
            self.cadence_starts = self.instance.cadence_starts
            return
        preset = data.get("cadence_preset") or recurrence.PRESET_NONE
        if preset == recurrence.PRESET_NONE:
            data["cadence_rrule"], self.cadence_starts = "", None
            return
        first: datetime | None = data.get("cadence_first")
        tz_name = data.get("cadence_timezone")
        if first is None:
            if "cadence_first" not in self.errors:
                self.add_error("cadence_first", _("Give the date and time of the first slot."))
            return
        if not tz_name:
            return
        if not FIRST_SLOT_YEARS[0] <= first.year <= FIRST_SLOT_YEARS[1]:
            self.add_error(
                "cadence_first",
                _("Choose a first slot between %(first)d and %(last)d.")
                % {"first": FIRST_SLOT_YEARS[0], "last": FIRST_SLOT_YEARS[1]},
            )
            return
        # The form read the time in the organiser's timezone; it means wall-clock time in the
        # cadence's timezone.
        naive = timezone.make_naive(first) if timezone.is_aware(first) else first
        local = naive.replace(tzinfo=zoneinfo.ZoneInfo(tz_name))
        if preset == recurrence.PRESET_CUSTOM:
            rule = data.get("cadence_rrule") or ""
            field = "cadence_rrule"
        else:
            rule = recurrence.preset_rule(preset, first=local)
            field = "cadence_preset"
        try:
            recurrence.rule_parse(rule, first=local)
        except recurrence.RecurrenceError as exc:
            self.add_error(field, error_text(exc))
            return
        data["cadence_rrule"] = recurrence.rrule_normalise(rule, tz=local.tzinfo)
        self.cadence_starts = local.astimezone(UTC)
        if not data.get("cadence"):
            data["cadence"] = recurrence.describe(rule=data["cadence_rrule"], first=local)[:200]

    def _post_clean(self) -> None:
        super()._post_clean()
        if hasattr(self, "cadence_starts"):
            self.instance.cadence_starts = self.cadence_starts

    def programme_fields(self) -> dict:
        """The model fields to create a programme with (teams apart)."""
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "teams"}
        fields["cadence_starts"] = getattr(self, "cadence_starts", None)
        return fields
