"""The slot finder pages: a search form and the proposed slots for one session.

The finder is part of a session's schedule page (``slot_finder_context`` is added to it); its
own URL answers htmx with just the finder, and without htmx with a page of its own. Only
people who may edit the session use it: others get 404 (cannot see it) or 403.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kshare.calendars.forms_slots import (
    PLAN_EVERYONE,
    PLAN_INVITED,
    PLAN_TEAM,
    SlotFinderForm,
)
from kshare.people.models import Person
from kshare.scheduling.slots import DEFAULT_WORKING_HOURS
from kshare.scheduling.slots_loader import slots_find
from kshare.sessions.models import Session, SessionHost, format_minutes
from kshare.sessions.selectors import session_can_edit, sessions_visible_to

INPUT_FORMAT = "%Y-%m-%dT%H:%M"
WINDOW_DAYS = 28


def _editable_session(request: HttpRequest, pk: int) -> Session:
    session = (
        sessions_visible_to(person=request.user).select_related("programme").filter(pk=pk).first()
    )
    if session is None:
        raise Http404
    if not session_can_edit(person=request.user, session=session):
        raise PermissionDenied(
            _("Only the session's hosts, its programme's organisers and admins can schedule it.")
        )
    return session


def _defaults(session: Session) -> dict[str, str]:
    first = timezone.localdate() + timedelta(days=session.programme.lead_time_days)
    duration = session.duration or timedelta(minutes=format_minutes(session.format))
    return {
        "after": first.isoformat(),
        "before": (first + timedelta(days=WINDOW_DAYS - 1)).isoformat(),
        "minutes": str(int(duration.total_seconds() // 60)),
        "plan_for": PLAN_INVITED,
    }


def slot_finder_context(request: HttpRequest, session: Session) -> dict:
    """The finder's form and proposed slots: the defaults, or the search in ``request.GET``."""
    fields = ("after", "before", "minutes", "plan_for", "team")
    searched = any(name in request.GET for name in fields)
    form = SlotFinderForm(request.GET if searched else _defaults(session))
    slots: list[dict] = []
    planned = None
    team = None
    if form.is_valid():
        data = form.cleaned_data
        after, before = form.window()
        invitees = None
        if data["plan_for"] == PLAN_TEAM:
            # The hosts come to their own session, whichever team they are in.
            hosts = SessionHost.objects.filter(session=session, person=OuterRef("pk"))
            invitees = Person.objects.filter(is_active=True).filter(
                Q(team=data["team"]) | Q(Exists(hosts))
            )
            planned = _("the %(team)s team and the hosts") % {"team": data["team"].name}
            team = data["team"]  # chosen with the slot: pre-selected on the invite page
        elif data["plan_for"] == PLAN_EVERYONE:
            invitees = Person.objects.filter(is_active=True)
            planned = _("everyone")
        else:
            planned = _("the invited people and hosts")
        tz = timezone.get_current_timezone()
        for slot in slots_find(
            session=session,
            after=after,
            before=before,
            invitees=invitees,
            duration=timedelta(minutes=data["minutes"]),
            tz=tz,
        ):
            slots.append(
                {
                    "slot": slot,
                    "start": slot.start.astimezone(tz),
                    "end": slot.end.astimezone(tz),
                    "start_input": slot.start.astimezone(tz).strftime(INPUT_FORMAT),
                    "end_input": slot.end.astimezone(tz).strftime(INPUT_FORMAT),
                }
            )
    return {
        "slot_form": form,
        "slots": slots,
        "slot_planned_for": planned,
        "slot_team": team,
        "slot_searched": searched,
        "working_hours": getattr(settings, "KSHARE_WORKING_HOURS", DEFAULT_WORKING_HOURS),
        "viewer_timezone": timezone.get_current_timezone_name(),
        "plan_team": PLAN_TEAM,
        "plan_everyone": PLAN_EVERYONE,
    }


def session_slots(request: HttpRequest, session_pk: int) -> HttpResponse:
    """Proposed slots for a session: the finder alone for htmx, a page of its own otherwise."""
    session = _editable_session(request, session_pk)
    context = {"session": session, **slot_finder_context(request, session), "nav": "sessions"}
    if request.headers.get("HX-Request"):
        return render(request, "calendars/_slot_finder.html#slot-finder", context)
    return render(request, "calendars/slots.html", context)
