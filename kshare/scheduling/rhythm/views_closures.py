"""The company's closure days (/rhythm/closures/): everyone sees the list; organisers and admins
add and delete days. No slot, cadence slot or reminder falls on them, and rhythm events that
skip holidays skip them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kshare.scheduling.rhythm import selectors, services
from kshare.scheduling.rhythm.forms import ClosureDayForm, service_errors_add
from kshare.scheduling.rhythm.models import ClosureDay
from kshare.scheduling.rhythm.views import _require_manager


def closure_list(request: HttpRequest) -> HttpResponse:
    can_manage = selectors.rhythm_can_manage(person=request.user)
    form = ClosureDayForm(request.POST or None)
    if request.method == "POST":
        _require_manager(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                closure = services.closure_day_add(
                    month=data["month"], day=data["day"], year=data["year"], name=data["name"]
                )
            except ValidationError as exc:
                service_errors_add(form, exc)
            else:
                messages.success(request, _("Added: %(closure)s.") % {"closure": closure})
                return redirect("rhythm:closures")
    return render(
        request,
        "rhythm/closures.html",
        {
            "closures": ClosureDay.objects.order_by("year", "month", "day", "id"),
            "form": form,
            "can_manage": can_manage,
            "nav": "calendar",
        },
    )


@require_POST
def closure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    closure = get_object_or_404(ClosureDay, pk=pk)
    services.closure_day_delete(closure=closure)
    messages.success(
        request, _("Removed: %(closure)s. The company works that day again.") % {"closure": closure}
    )
    return redirect("rhythm:closures")
