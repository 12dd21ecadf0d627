"""The prospective-host pipeline pages, for organisers (their programmes) and admins (all)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kshare.feedback import hosts
from kshare.feedback.models import ProspectiveHost
from kshare.programmes.selectors import programmes_visible_to

PAGE_SIZE = 50


def _organisers_only(request: HttpRequest) -> None:
    if not request.user.is_organiser:
        raise PermissionDenied(_("Only organisers and admins follow up prospective hosts."))


def _prospect(request: HttpRequest, pk: int) -> ProspectiveHost:
    return get_object_or_404(
        hosts.prospects_visible_to(person=request.user).select_related("person"), pk=pk
    )


def _back(request: HttpRequest) -> HttpResponse:
    """To the list as it was: the same status tab and programme."""
    query = {}
    if (status := request.POST.get("back", "")) in ProspectiveHost.Status.values:
        query["status"] = status
    if slug := request.POST.get("programme", ""):
        query["programme"] = slug
    url = reverse("feedback:hosts")
    return redirect(f"{url}?{urlencode(query)}" if query else url)


def hosts_list(request: HttpRequest) -> HttpResponse:
    _organisers_only(request)
    status = request.GET.get("status", "")
    if status and status not in ProspectiveHost.Status.values:
        messages.error(request, _("There is no such status; showing everyone."))
        status = ""
    programme = None
    if slug := request.GET.get("programme", ""):
        programme = get_object_or_404(programmes_visible_to(person=request.user), slug=slug)
    prospects = hosts.prospects_for_list(person=request.user, status=status, programme=programme)
    page = Paginator(prospects, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = hosts.prospect_counts(person=request.user, programme=programme)
    tabs = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts[value]) for value, label in ProspectiveHost.Status.choices
    ]
    rows = [
        (
            prospect,
            [(s, ProspectiveHost.Status(s).label) for s in hosts.TRANSITIONS[prospect.status]],
        )
        for prospect in page.object_list
    ]
    return render(
        request,
        "feedback/hosts.html",
        {
            "rows": rows,
            "page_obj": page,
            "tabs": tabs,
            "status": status,
            "programme": programme,
            "proposable": hosts.PROPOSABLE,
            "nav": "hosts",
        },
    )


@require_POST
def host_status(request: HttpRequest, pk: int) -> HttpResponse:
    _organisers_only(request)
    prospect = _prospect(request, pk)
    try:
        prospect = hosts.prospect_status_set(
            prospect=prospect, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s is now %(status)s.")
            % {"name": prospect.person.display_name, "status": prospect.get_status_display()},
        )
    return _back(request)


@require_POST
def host_propose(request: HttpRequest, pk: int) -> HttpResponse:
    _organisers_only(request)
    prospect = _prospect(request, pk)
    try:
        session = hosts.prospect_session_propose(prospect=prospect, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request)
    messages.success(
        request,
        _("Session draft proposed for %(name)s. Edit it with them, then schedule it.")
        % {"name": prospect.person.display_name},
    )
    return redirect(session)
