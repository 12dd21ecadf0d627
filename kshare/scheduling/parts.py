"""The scheduling app's parts of other apps' pages (kshare/core/pages.py): reminders and cadence."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from kshare.core.pages import part_register
from kshare.programmes import selectors as programme_selectors
from kshare.programmes.models import Programme
from kshare.scheduling.reminders.cadence import programme_cadence_slots, programme_nudge_material
from kshare.sessions.models import Session, State
from kshare.sessions.selectors import sessions_visible_to

NEXT_SLOTS = 6
# Open cadence slots this close get the organiser's attention (and the daily nudge mail).
NUDGE_HORIZON = timedelta(days=28)


def session_reminders(request: HttpRequest, session: Session, *, can_edit: bool) -> dict | None:
    """The hosts' list of a session's reminders (planned and sent); the template reads them
    from ``session.reminders``. Not shown to readers who may not edit, nor for a proposal."""
    if not can_edit or session.state == State.PROPOSED:
        return None
    return {}


def programme_cadence(request: HttpRequest, programme: Programme, *, can_edit: bool) -> dict:
    """The programme page's cadence card: the next cadence slots (a session's title only for
    people who may see it) and, for organisers with an open slot in the next four weeks, who
    could host and what is wanted."""
    now = timezone.now()
    slots = programme_cadence_slots(programme=programme, after=now, count=NEXT_SLOTS)
    taken = [slot.session.pk for slot in slots if slot.session is not None]
    visible = set(
        sessions_visible_to(person=request.user).filter(pk__in=taken).values_list("pk", flat=True)
        if taken
        else ()
    )
    # A slot on a day off (closure day, or a public holiday of every organiser's office) is no
    # open slot, here as in the nudge mail (kshare.scheduling.reminders.cadence).
    organisers = [o for o in programme.organisers.all() if o.is_active]
    off = programme_selectors.programme_cadence_days_off(
        programme=programme, organisers=organisers, slots=[s for s in slots if s.is_open]
    )
    tz = programme_selectors.programme_cadence_tz(programme)
    day_off = {slot.start for slot in slots if slot.start.astimezone(tz).date() in off}
    open_soon = [
        s for s in slots if s.is_open and s.start not in day_off and s.start < now + NUDGE_HORIZON
    ]
    material = programme_nudge_material(programme=programme) if can_edit and open_soon else {}
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


def register() -> None:
    part_register(
        region="programme.cadence",
        name="scheduling.cadence",
        template="reminders/_programme_cadence.html",
        context=programme_cadence,
    )
    part_register(
        region="session.hosts",
        name="scheduling.reminders",
        template="reminders/_session_reminders.html",
        context=session_reminders,
    )
