from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kshare.programmes import selectors, services
from kshare.programmes.forms import ProgrammeForm


def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = selectors.programmes_for_list(person=request.user)
    return render(
        request,
        "programmes/list.html",
        {"programmes": programmes, "nav": "programmes", "can_create": request.user.is_organiser},
    )


def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A programme's page. Its cadence card (reminders) and its sessions (sessions) are parts
    those apps register for its regions (programmes/parts.py, kshare/core/pages.py)."""
    programme = get_object_or_404(
        selectors.programmes_visible_to(person=request.user).prefetch_related("organisers"),
        slug=slug,
    )
    can_edit = selectors.programme_can_edit(person=request.user, programme=programme)
    return render(
        request,
        "programmes/detail.html",
        {"programme": programme, "nav": "programmes", "can_edit": can_edit},
    )


def programme_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_organiser:
        raise PermissionDenied(_("Only organisers and admins create programmes."))
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        programme = services.programme_create(by=request.user, **form.programme_fields())
        programme.teams.set(form.cleaned_data["teams"])
        messages.success(request, _("Programme created. You are its organiser."))
        return redirect("programmes:detail", slug=programme.slug)
    return render(request, "programmes/form.html", {"form": form, "nav": "programmes"})


def programme_edit(request: HttpRequest, slug: str) -> HttpResponse:
    programme = get_object_or_404(selectors.programmes_visible_to(person=request.user), slug=slug)
    if not selectors.programme_can_edit(person=request.user, programme=programme):
        raise PermissionDenied(_("Only the programme's organisers and admins can change it."))
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("programmes:detail", slug=programme.slug)
    return render(
        request, "programmes/form.html", {"form": form, "programme": programme, "nav": "programmes"}
    )
