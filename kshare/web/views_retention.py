"""Data retention (admins): how long mails, logs and records are kept, and what is due."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kshare.web.retention import retention_status


@require_GET
def retention(request: HttpRequest) -> HttpResponse:
    if not request.user.is_admin:
        raise PermissionDenied(_("Only admins can see data retention."))
    return render(request, "web/retention.html", {"rules": retention_status(), "nav": "retention"})
