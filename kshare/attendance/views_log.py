"""The attendance log: who is checked in (live), adding and removing people, invited / answer /
attended side by side, the history of every change, and its CSV export.

For the session's hosts, its programme's organisers and admins. A session someone may not see
is a 404 for them, as everywhere; one they see but may not manage is a 403.
"""

from __future__ import annotations

from datetime import UTC

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kshare.attendance import selectors
from kshare.attendance.log import attendance_add_refusal, attendance_log_add, attendance_log_remove
from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.core.csv_export import csv_writer
from kshare.people.models import Person
from kshare.sessions.models import Attendance, Session, State
from kshare.sessions.selectors import session_can_edit, sessions_visible_to

# The live list asks the server again this often (htmx polling; without JS: reload the page).
POLL_SECONDS = 5


def attendance_log_context(
    request: HttpRequest, session: Session, *, can_edit: bool
) -> dict | None:
    """Attendance-log panel on the session page (the part ``attendance.log``), for hosts and
    organisers; ``None`` (not shown) for anybody else and before the session is scheduled. No
    queries: the attended count is the RSVP card's, ``counts.attended``."""
    if not can_edit or session.state == State.PROPOSED:
        return None
    return {
        "attendance_log_url": reverse("attendance:log", args=[session.pk]),
        "attendance_csv_url": reverse("attendance:csv", args=[session.pk]),
    }


def _managed_session(request: HttpRequest, pk: int) -> Session:
    session = (
        sessions_visible_to(person=request.user).filter(pk=pk).select_related("programme").first()
    )
    if session is None:
        raise Http404("No such session.")
    if not session_can_edit(person=request.user, session=session):
        raise PermissionDenied(
            _(
                "Only the session's hosts, its programme's organisers and admins see its "
                "attendance log."
            )
        )
    return session


def _query(request: HttpRequest) -> str:
    # NUL is refused by PostgreSQL in a query; a name never needs it.
    return request.GET.get("q", "").replace("\x00", "").strip()[:100]


def _person(raw: str | None) -> Person | None:
    if not raw or not raw.isdigit() or len(raw) > 12:
        return None
    return Person.objects.filter(pk=int(raw)).first()


def _live_context(session: Session, attendances: list | None = None) -> dict:
    if attendances is None:
        attendances = list(selectors.attendance_list(session=session))
    return {
        "session": session,
        "attendances": attendances,
        "polling": session.state == State.SCHEDULED,
        "poll_seconds": POLL_SECONDS,
        # What the page shows, so a poll that finds nothing new is answered with no content.
        "live_version": f"{len(attendances)}-{max((a.pk for a in attendances), default=0)}",
    }


def _search_context(session: Session, query: str) -> dict:
    refusal = attendance_add_refusal(session=session)
    found = [] if refusal else selectors.attendance_addable_people(session=session, query=query)
    return {"session": session, "query": query, "found": found, "add_refusal": refusal}


def _history(session: Session) -> list:
    labels = dict(Attendance.Method.choices)
    history = list(selectors.attendance_history(session=session))
    for change in history:
        change.method_label = labels.get(change.method, change.method)
    return history


@require_GET
def attendance_log(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    attendances = list(selectors.attendance_list(session=session))
    return render(
        request,
        "attendance/log.html",
        {
            **_live_context(session, attendances),
            **_search_context(session, _query(request)),
            "counts": selectors.attendance_counts(session=session),
            "table": selectors.attendance_table(session=session, attendances=attendances),
            "history": _history(session),
            "frozen": selectors.attendance_frozen(session=session),
            "nav": "sessions",
        },
    )


@require_GET
def attendance_log_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The checked-in list alone, for the page's polling: 204 (htmx keeps what it shows) when
    nobody came or left since the version the page has."""
    session = _managed_session(request, pk)
    if request.GET.get("v") == selectors.attendance_version(session=session):
        return HttpResponse(status=204)
    return render(request, "attendance/log.html#live", _live_context(session))


@require_GET
def attendance_log_search(request: HttpRequest, pk: int) -> HttpResponse:
    """People to add, as the host types (htmx); the page itself answers ``?q=`` without JS."""
    session = _managed_session(request, pk)
    return render(
        request, "attendance/log.html#search-results", _search_context(session, _query(request))
    )


def _after_change(
    request: HttpRequest, session: Session, text: str, *, error: bool
) -> HttpResponse:
    if not request.headers.get("HX-Request"):
        (messages.error if error else messages.success)(request, text)
        return redirect("attendance:log", pk=session.pk)
    # htmx: the live list with the message, and the search results again (out of band). A
    # refusal is answered 200 like the RSVP card's, because htmx swaps in no 4xx answer.
    query = request.POST.get("q", "").replace("\x00", "").strip()[:100]
    return render(
        request,
        "attendance/log_changed.html",
        {
            **_live_context(session),
            **_search_context(session, query),
            "live_message": text,
            "live_error": error,
        },
    )


@require_POST
def attendance_log_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    person = _person(request.POST.get("person"))
    if person is None:
        return _after_change(request, session, _("No such person."), error=True)
    try:
        __, created = attendance_log_add(session=session, person=person, by=request.user)
    except ValidationError as exc:
        return _after_change(request, session, " ".join(exc.messages), error=True)
    text = (
        _("%(name)s is on the attendance log.")
        if created
        else _("%(name)s was already on the attendance log.")
    ) % {"name": person.display_name}
    return _after_change(request, session, text, error=False)


@require_http_methods(["GET", "POST"])
def attendance_log_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (a page that works without JS); POST takes the person off."""
    session = _managed_session(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    person = _person(source.get("person"))
    if request.method == "GET":
        on_log = person is not None and session.attendances.filter(person=person).exists()
        if not on_log:
            messages.error(request, _("That person is not on the attendance log."))
            return redirect("attendance:log", pk=session.pk)
        return render(
            request,
            "attendance/log_remove.html",
            {"session": session, "person": person, "held": session.state == State.HELD},
        )
    if person is None:
        return _after_change(request, session, _("No such person."), error=True)
    try:
        attendance_log_remove(session=session, person=person, by=request.user)
    except ValidationError as exc:
        return _after_change(request, session, " ".join(exc.messages), error=True)
    return _after_change(
        request,
        session,
        _("%(name)s is off the attendance log.") % {"name": person.display_name},
        error=False,
    )


@require_GET
def attendance_log_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone invited or attending: name, e-mail, team, invited, answer, attended, how, when."""
    session = _managed_session(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="attendance-session-{session.pk}.csv"'
    writer = csv_writer(response)
    writer.writerow(
        ["name", "email", "team", "invited", "answer", "attended", "method", "checked_in_at"]
    )
    for row in selectors.attendance_table(session=session):
        came = row.attendance
        writer.writerow(
            [
                row.person.display_name,
                row.person.email,
                row.person.team.name if row.person.team else "",
                "yes" if row.invitation else "no",
                row.answer,
                "yes" if came else "no",
                came.get_method_display() if came else "",
                came.recorded_at.astimezone(UTC).isoformat() if came else "",
            ]
        )
    audit_record(action=AuditEntry.Action.EXPORT, target=session, changes={"export": "attendance"})
    return response
