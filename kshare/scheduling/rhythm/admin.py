from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from kshare.core import recurrence
from kshare.core.language import error_text
from kshare.people.offices import office_region_error
from kshare.scheduling.rhythm.models import ClosureDay, RhythmEvent, RhythmException
from kshare.scheduling.rhythm.selectors import rhythm_is_occurrence
from kshare.scheduling.rhythm.services import FIRST_YEAR, LAST_YEAR


class RhythmEventAdminForm(forms.ModelForm):
    """The same rule and timezone checks as the services (the organiser pages are the usual
    way in: they also place the start on the rule's first occurrence)."""

    class Meta:
        model = RhythmEvent
        fields = [
            "name",
            "description",
            "rrule",
            "starts",
            "duration_minutes",
            "timezone",
            "team",
            "location",
            "skip_holidays",
            "holiday_country",
            "holiday_subdivision",
            "created_by",
        ]

    def clean(self) -> dict:
        data = super().clean()
        country, subdivision = data.get("holiday_country", ""), data.get("holiday_subdivision", "")
        error = office_region_error(country or "", subdivision or "")
        if error:
            self.add_error("holiday_country" if not country else "holiday_subdivision", error)
        try:
            tz = recurrence.timezone_get(data.get("timezone") or "")
        except recurrence.RecurrenceError as exc:
            self.add_error("timezone", error_text(exc))
            return data
        try:
            data["rrule"] = recurrence.rrule_normalise(data.get("rrule") or "", tz=tz)
            if data.get("starts") and not FIRST_YEAR <= data["starts"].year <= LAST_YEAR:
                self.add_error("starts", f"Choose a start between {FIRST_YEAR} and {LAST_YEAR}.")
            elif data.get("starts"):
                start = data["starts"].astimezone(tz)
                recurrence.first_occurrence(
                    recurrence.rule_build(data["rrule"], dtstart=start), dtstart=start
                )
        except recurrence.RecurrenceError as exc:
            self.add_error("rrule", error_text(exc))
        return data


class RhythmExceptionInline(admin.TabularInline):
    model = RhythmException
    extra = 0


@admin.register(RhythmEvent)
class RhythmEventAdmin(admin.ModelAdmin):
    form = RhythmEventAdminForm
    list_display = ["name", "team", "rrule", "starts", "duration_minutes", "timezone", "sequence"]
    list_select_related = ["team"]
    list_filter = ["team"]
    search_fields = ["name"]
    readonly_fields = ["sequence", "created_at", "updated_at"]
    raw_id_fields = ["created_by"]
    inlines = [RhythmExceptionInline]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change:
            # Calendar programs replace an event only when its SEQUENCE goes up.
            # update() skips auto_now: updated_at (the DTSTAMP) moves with it.
            RhythmEvent.objects.filter(pk=obj.pk).update(
                sequence=F("sequence") + 1, updated_at=timezone.now()
            )


class RhythmExceptionAdminForm(forms.ModelForm):
    class Meta:
        model = RhythmException
        fields = ["event", "original_start", "cancelled", "new_start", "new_end", "note"]

    def clean(self) -> dict:
        data = super().clean()
        event, original = data.get("event"), data.get("original_start")
        if event and original and not rhythm_is_occurrence(event=event, start=original):
            raise ValidationError(f"That start is not an occurrence of “{event.name}”.")
        return data


@admin.register(RhythmException)
class RhythmExceptionAdmin(admin.ModelAdmin):
    form = RhythmExceptionAdminForm
    list_display = ["event", "original_start", "cancelled", "new_start", "new_end", "note"]
    list_select_related = ["event"]
    list_filter = ["cancelled"]
    search_fields = ["event__name", "note"]


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    """The same list as /rhythm/closures/ (the organisers' page)."""

    list_display = ["name", "day", "month", "year"]
    list_filter = ["year"]
