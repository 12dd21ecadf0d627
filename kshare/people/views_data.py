""" "Your data" (download everything kshare holds about you) and deleting your own account."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from kshare.people.data_export import export_allowed, person_export_archive
from kshare.people.erasure import ErasureRefused, person_erase, person_erase_check
from kshare.people.forms import AccountDeleteForm


def export_response(person) -> StreamingHttpResponse:  # type: ignore[no-untyped-def]
    """The archive as a download (also the API's ``GET /me/export``)."""
    stamp = timezone.now().strftime("%Y-%m-%d")
    response = StreamingHttpResponse(person_export_archive(person), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="kshare-data-{stamp}.zip"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def your_data(request: HttpRequest) -> HttpResponse:
    return render(request, "people/your_data.html", {"nav": "people"})


@never_cache
@require_GET
def your_data_download(request: HttpRequest) -> HttpResponse:
    wait = export_allowed(request.user)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        response = render(
            request,
            "people/your_data.html",
            {"nav": "people", "wait_minutes": minutes},
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    return export_response(request.user)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    person = request.user
    refused = None
    try:
        person_erase_check(person=person)
    except ErasureRefused as error:
        refused = error.messages[0]
    form = AccountDeleteForm(
        person, data=request.POST if request.method == "POST" else None, request=request
    )
    if request.method == "POST" and refused is None and form.is_valid():
        try:
            person_erase(person=person, by=person)
        except ErasureRefused as error:
            refused = error.messages[0]
        else:
            logout(request)
            messages.success(
                request, gettext("Your account and your personal data have been deleted.")
            )
            return redirect("login")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "people/account_delete.html",
        {"nav": "people", "form": form, "refused": refused},
        status=status,
    )
