"""The person's notification settings: which categories of mail they get."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from kshare.outbox.categories import CATEGORIES
from kshare.outbox.preferences import mail_categories_off, mail_categories_set
from kshare.people.forms import NotificationSettingsForm


@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    person_id = request.user.pk
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            mail_categories_set(
                person_id=person_id, off=set(CATEGORIES) - set(form.cleaned_data["on"])
            )
            messages.success(request, gettext("Your notification settings are saved."))
            return redirect("people:notifications")
    else:
        off = mail_categories_off(person_id=person_id)
        form = NotificationSettingsForm(
            initial={"on": [key for key in CATEGORIES if key not in off]}
        )
    return render(
        request,
        "people/notifications.html",
        {
            "form": form,
            # Each checkbox with its category's description (same order as the choices).
            "rows": list(zip(form["on"], CATEGORIES.values(), strict=True)),
            "nav": "people",
        },
    )
