"""The session pages' regions that other apps fill (kshare/core/pages.py), in page order, and the
sessions app's own parts of lower apps' pages (a person's profile).

The session page lays out its own cards and leaves named regions for the apps above it: those
apps register their parts in their ``AppConfig.ready`` (``<app>/parts.py``). Parts are named
here as strings, so sessions imports none of them; a part whose app is not installed is skipped.
Every session-page region is rendered with ``can_edit`` (may the reader edit the session?), so
each part's context function takes ``(request, session, *, can_edit)``; the schedule page's
region passes nothing beyond ``(request, session)``, the propose page's regions
``(request, person)`` (the proposer). What other apps add to the propose *flow* (prefill, linking
after proposing) is registered in ``sessions/propose_hooks.py``.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest

from kshare.core.pages import part_register, region_declare
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions import selectors

REGIONS: dict[str, tuple[str, ...]] = {
    # session page, side column: under the RSVP card (check-in is what you do next)
    "session.aside.top": ("attendance.checkin",),
    # session page, inside the "Where" card of a session with a join link: the way to the call
    "session.where": ("attendance.join",),
    # session page, side column: under "Where"
    "session.aside": ("library.catchup", "calendars.session"),
    # session page, the Manage card's buttons after "Edit" (hosts, organisers, admins)
    "session.manage": ("feedback.results",),
    # session page, main column: after the agenda
    "session.materials": ("library.materials",),
    # session page, main column: after the history
    "session.discussion": ("questions.live", "ideas.session"),
    # session page, the hosts' column (shown to those who may edit a session not just proposed)
    "session.hosts": ("attendance.log", "scheduling.reminders"),
    # the schedule page, under the form
    "session.schedule": ("calendars.slot_finder",),
    # the propose page, inside the form above the fields: what the proposal answers
    "session.propose.form": ("topics.request",),
    # the propose page, side column
    "session.propose.aside": ("recommend.familiar_topics",),
}


def declare() -> None:
    for name, order in REGIONS.items():
        region_declare(name, order=order)


def person_hosted(request: HttpRequest, person: Person) -> dict:
    """The profile's "Sessions hosted": those the reader may see, newest first."""
    hosted = selectors.person_sessions_hosted(viewer=request.user, person=person)
    return {"hosted": list(hosted[: selectors.PROFILE_SESSIONS])}


def person_attended(request: HttpRequest, person: Person) -> dict:
    """The profile's "Sessions attended": those the reader may see, newest first."""
    attended = selectors.person_sessions_attended(viewer=request.user, person=person)
    return {"attended": list(attended[: selectors.PROFILE_SESSIONS])}


def programme_sessions(request: HttpRequest, programme: Programme, *, can_edit: bool) -> dict:
    """The programme page's sessions, 20 a page."""
    sessions = selectors.sessions_in_programme(person=request.user, programme=programme)
    page = Paginator(sessions, 20).get_page(request.GET.get("page"))
    return {"page_obj": page, "sessions": page.object_list}


def register() -> None:
    # A programme's page (region declared in programmes/parts.py).
    part_register(
        region="programme.sessions",
        name="sessions.programme",
        template="sessions/_programme_sessions.html",
        context=programme_sessions,
    )
    # A person's profile (the people app's page, region declared in people/parts.py).
    part_register(
        region="person.profile",
        name="sessions.hosted",
        template="sessions/_profile_hosted.html",
        context=person_hosted,
    )
    part_register(
        region="person.profile",
        name="sessions.attended",
        template="sessions/_profile_attended.html",
        context=person_attended,
    )
