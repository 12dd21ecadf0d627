from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from kshare.programmes import selectors, services
from kshare.programmes.forms import ProgrammeForm
from kshare.programmes.models import Programme
from kshare.sessions import selectors as session_selectors

NEXT_SLOTS = 6
# Open cadence slots this close get the organiser's attention (and the daily nudge mail).
NUDGE_HORIZON = timedelta(days=28)


def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = selectors.programmes_for_list(person=request.user)
    return render(
        request,
        "programmes/list.html",
        {"programmes": programmes, "nav": "programmes", "can_create": request.user.is_organiser},
    )


def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    programme = get_object_or_404(
        selectors.programmes_visible_to(person=request.user).prefetch_related("organisers"),
        slug=slug,
    )
    sessions = session_selectors.sessions_in_programme(person=request.user, programme=programme)
    page = Paginator(sessions, 20).get_page(request.GET.get("page"))
    can_edit = selectors.programme_can_edit(person=request.user, programme=programme)
    return render(
        request,
        "programmes/detail.html",
        {
            "programme": programme,
            "page_obj": page,
            "sessions": page.object_list,
            "nav": "programmes",
            "can_edit": can_edit,
            **_cadence_context(request, programme, can_edit=can_edit),
        },
    )


def _cadence_context(request: HttpRequest, programme: Programme, *, can_edit: bool) -> dict:
    """The next cadence slots (a session's title only for people who may see it) and, for
    organisers with an open slot in the next four weeks, who could host and what is wanted."""
    now = timezone.now()
    slots = selectors.programme_cadence_slots(programme=programme, after=now, count=NEXT_SLOTS)
    taken = [slot.session.pk for slot in slots if slot.session is not None]
    visible = set(
        session_selectors.sessions_visible_to(person=request.user)
        .filter(pk__in=taken)
        .values_list("pk", flat=True)
        if taken
        else ()
    )
    # A slot on a day off (closure day, or a public holiday of every organiser's office) is no
    # open slot, here as in the nudge mail (kshare.scheduling.reminders.cadence).
    organisers = [o for o in programme.organisers.all() if o.is_active]
    off = selectors.programme_cadence_days_off(
        programme=programme, organisers=organisers, slots=[s for s in slots if s.is_open]
    )
    tz = selectors.programme_cadence_tz(programme)
    day_off = {slot.start for slot in slots if slot.start.astimezone(tz).date() in off}
    open_soon = [
        s for s in slots if s.is_open and s.start not in day_off and s.start < now + NUDGE_HORIZON
    ]
    material = (
        selectors.programme_nudge_material(programme=programme) if can_edit and open_soon else {}
    )
    return {
        "cadence_slots": [
            {
                "slot": slot,
                "visible": slot.session is not None and slot.session.pk in visible,
                "day_off": slot.is_open and slot.start in day_off,
            }
            for slot in slots
        ],
        "open_soon": open_soon,
        **material,
    }


def programme_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_organiser:
        raise PermissionDenied("Only organisers and admins create programmes.")
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        programme = services.programme_create(by=request.user, **form.programme_fields())
        programme.teams.set(form.cleaned_data["teams"])
        messages.success(request, "Programme created. You are its organiser.")
        return redirect("programmes:detail", slug=programme.slug)
    return render(request, "programmes/form.html", {"form": form, "nav": "programmes"})


def programme_edit(request: HttpRequest, slug: str) -> HttpResponse:
    programme = get_object_or_404(selectors.programmes_visible_to(person=request.user), slug=slug)
    if not selectors.programme_can_edit(person=request.user, programme=programme):
        raise PermissionDenied("Only the programme's organisers and admins can change it.")
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect("programmes:detail", slug=programme.slug)
    return render(
        request, "programmes/form.html", {"form": form, "programme": programme, "nav": "programmes"}
    )
