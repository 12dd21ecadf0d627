from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kshare.scheduling.rhythm import selectors, services
from kshare.scheduling.rhythm.forms import (
    OccurrenceCancelForm,
    OccurrenceMoveForm,
    RhythmEventForm,
    rule_label,
    service_errors_add,
)
from kshare.scheduling.rhythm.models import RhythmEvent

UPCOMING = 8
NEXT_WINDOW = timedelta(days=62)


def _require_manager(request: HttpRequest) -> None:
    if not selectors.rhythm_can_manage(person=request.user):
        raise PermissionDenied(_("Only organisers and admins change rhythm events."))


def _event(pk: int) -> RhythmEvent:
    return get_object_or_404(RhythmEvent.objects.select_related("team"), pk=pk)


def _occurrence(event: RhythmEvent, stamp: str) -> datetime:
    moment = selectors.occurrence_from_stamp(stamp)
    if moment is None or not selectors.rhythm_is_occurrence(event=event, start=moment):
        raise Http404("No such occurrence.")
    return moment


def rhythm_list(request: HttpRequest) -> HttpResponse:
    # Company-wide events first, then by team (the same on SQLite and PostgreSQL).
    events = list(
        RhythmEvent.objects.select_related("team").order_by(
            F("team__name").asc(nulls_first=True), "name", "id"
        )
    )
    now = timezone.now()
    upcoming = selectors.rhythm_occurrences(after=now, before=now + NEXT_WINDOW, events=events)
    next_of: dict[int, selectors.Occurrence] = {}
    for occurrence in upcoming:
        next_of.setdefault(occurrence.event_id, occurrence)
    rows = [
        {"event": event, "rule": rule_label(event.rrule), "next": next_of.get(event.pk)}
        for event in events
    ]
    return render(
        request,
        "rhythm/list.html",
        {
            "rows": rows,
            "can_manage": selectors.rhythm_can_manage(person=request.user),
            "nav": "calendar",
        },
    )


def rhythm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    return render(
        request,
        "rhythm/detail.html",
        {
            "event": event,
            "rule": rule_label(event.rrule),
            "occurrences": selectors.rhythm_event_schedule(
                event=event, after=timezone.now(), limit=UPCOMING
            ),
            "can_manage": selectors.rhythm_can_manage(person=request.user),
            "nav": "calendar",
        },
    )


def rhythm_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    tz = timezone.get_current_timezone_name()
    initial = {"timezone": tz, "preset": "weekly_monday", "start_date": timezone.localdate()}
    form = RhythmEventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.rhythm_event_create(by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            service_errors_add(form, exc)
        else:
            messages.success(request, f"“{event.name}” is in the calendar.")
            return redirect("rhythm:detail", pk=event.pk)
    return render(request, "rhythm/edit.html", {"form": form, "event": None, "nav": "calendar"})


def rhythm_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    event = _event(pk)
    form = RhythmEventForm(request.POST or None, initial=RhythmEventForm.initial_for(event))
    if request.method == "POST" and form.is_valid():
        try:
            dropped = services.rhythm_event_update(event=event, **form.service_kwargs())
        except ValidationError as exc:
            service_errors_add(form, exc)
        else:
            messages.success(request, _("Saved."))
            if dropped:
                messages.warning(
                    request,
                    f"{dropped} cancelled or moved occurrence{'s' if dropped != 1 else ''} "
                    "no longer fit the changed series and were dropped.",
                )
            return redirect("rhythm:detail", pk=event.pk)
    return render(request, "rhythm/edit.html", {"form": form, "event": event, "nav": "calendar"})


def rhythm_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    event = _event(pk)
    if request.method == "POST":
        services.rhythm_event_delete(event=event)
        messages.success(request, f"“{event.name}” is deleted.")
        return redirect("rhythm:list")
    return render(request, "rhythm/delete.html", {"event": event, "nav": "calendar"})


def occurrence_cancel(request: HttpRequest, pk: int, stamp: str) -> HttpResponse:
    _require_manager(request)
    event = _event(pk)
    original = _occurrence(event, stamp)
    form = OccurrenceCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rhythm_occurrence_cancel(
                event=event, original_start=original, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            service_errors_add(form, exc)
        else:
            messages.success(request, _("That occurrence is cancelled."))
            return redirect("rhythm:detail", pk=event.pk)
    return render(
        request,
        "rhythm/occurrence_cancel.html",
        {"event": event, "original": original, "form": form, "nav": "calendar"},
    )


def occurrence_move(request: HttpRequest, pk: int, stamp: str) -> HttpResponse:
    _require_manager(request)
    event = _event(pk)
    original = _occurrence(event, stamp)
    usual_end = original + timedelta(minutes=event.duration_minutes)
    form = OccurrenceMoveForm(
        request.POST or None,
        initial={
            "new_start": timezone.localtime(original).replace(tzinfo=None),
            "new_end": timezone.localtime(usual_end).replace(tzinfo=None),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.rhythm_occurrence_move(
                event=event,
                original_start=original,
                new_start=data["new_start"],
                new_end=data["new_end"],
                note=data["note"],
            )
        except ValidationError as exc:
            service_errors_add(form, exc)
        else:
            messages.success(request, _("That occurrence is moved."))
            return redirect("rhythm:detail", pk=event.pk)
    return render(
        request,
        "rhythm/occurrence_move.html",
        {
            "event": event,
            "original": original,
            "form": form,
            "tz_name": timezone.get_current_timezone_name(),
            "nav": "calendar",
        },
    )


@require_POST
def occurrence_restore(request: HttpRequest, pk: int, stamp: str) -> HttpResponse:
    _require_manager(request)
    event = _event(pk)
    original = _occurrence(event, stamp)
    if services.rhythm_occurrence_restore(event=event, original_start=original):
        messages.success(request, _("That occurrence is back at its usual time."))
    else:
        messages.info(request, _("That occurrence was already at its usual time."))
    return redirect(reverse("rhythm:detail", kwargs={"pk": event.pk}))
