"""Check-in pages: the host's page with the QR code, the signed link, and "I'm here".

Every view checks the session object: a session the reader may not see is a 404 (as everywhere),
the host's page and its QR code are for whoever may edit the session (403 for others). GET never
writes: mail and QR scanners open links before people do, so only the "Check in" button's POST
checks in. The one exception is the join link (``join``): it writes on GET, because it is a
redirect people follow from a calendar or a reminder, and it writes only for the signed-in person
(a mail scanner opening it has no session cookie and lands on the sign-in page).
"""

from __future__ import annotations

import contextlib
from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kshare.attendance.checkin import (
    CANCELLED,
    CHECKIN_OPENS_BEFORE,
    HELD,
    NOT_YET,
    OPEN,
    OVER,
    CheckInClosed,
    CheckInLinkExpired,
    CheckInLinkInvalid,
    checkin,
    checkin_opens_at,
    checkin_qr_svg,
    checkin_state,
    checkin_token_read,
    checkin_url,
)
from kshare.people.models import Person
from kshare.sessions import selectors
from kshare.sessions.models import Attendance, Session, State

REFRESH_SECONDS = 5
OPENS_MINUTES = int(CHECKIN_OPENS_BEFORE.total_seconds() // 60)


def _reader(request: HttpRequest) -> Person:
    # LoginRequiredMiddleware: every view here is for a signed-in person.
    return cast(Person, request.user)


# The session page imports this module, so the sessions views' own helpers cannot be imported
# here; these two follow the same conventions (invisible = 404, not an editor = 403).
def _visible_session(request: HttpRequest, pk: int) -> Session:
    session = (
        selectors.sessions_visible_to(person=_reader(request))
        .select_related("programme")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    return session


def _editable_session(request: HttpRequest, pk: int) -> Session:
    session = _visible_session(request, pk)
    if not selectors.session_can_edit(person=_reader(request), session=session):
        raise PermissionDenied(
            _(
                "Only the session's hosts, its programme's organisers and admins can open its "
                "check-in page."
            )
        )
    return session


def _problem(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "web/error.html", {"status": status, "title": title, "text": text}, status=status
    )


def _time(value) -> str:
    return date_format(timezone.localtime(value), "H:i")


def _closed(request: HttpRequest, session: Session, state: str) -> HttpResponse:
    """The page that says why ``session`` takes no check-in now (nothing was recorded)."""
    if state == CANCELLED:
        return _problem(
            request,
            410,
            _("This session was cancelled"),
            _("“%(title)s” was cancelled, so there is nothing to check in to.")
            % {"title": session.title},
        )
    if state == NOT_YET:
        opens = checkin_opens_at(session)
        assert opens is not None
        return _problem(
            request,
            409,
            _("Check-in has not opened yet"),
            ngettext(
                "Check-in to “%(title)s” opens at %(time)s on %(day)s, %(minutes)s minute before "
                "the start. Come back then.",
                "Check-in to “%(title)s” opens at %(time)s on %(day)s, %(minutes)s minutes before "
                "the start. Come back then.",
                OPENS_MINUTES,
            )
            % {
                "title": session.title,
                "time": _time(opens),
                "day": date_format(timezone.localtime(opens), "j F Y"),
                "minutes": OPENS_MINUTES,
            },
        )
    if state == OVER:
        return _expired(request)
    if state == HELD:
        return _problem(request, 409, _("The attendance list is final"), _held_text(session))
    return _problem(
        request,
        409,
        _("This session is not scheduled"),
        _("“%(title)s” has no confirmed date yet, so nobody can check in to it.")
        % {"title": session.title},
    )


def _held_text(session: Session) -> str:
    return _(
        "“%(title)s” was marked as held, so its attendance list is final and takes no "
        "more check-ins. If you were there, ask the host to add you: the log shows it as a "
        "correction."
    ) % {"title": session.title}


def _checkin_state(session: Session) -> str:
    """The window state, or ``HELD`` inside the window of a session marked held (frozen log)."""
    state = checkin_state(session)
    return HELD if state == OPEN and session.state == State.HELD else state


def _expired(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        410,
        _("This check-in link has expired"),
        _(
            "This check-in link has expired: the session is over. "
            "If you were there, ask the host to add you to the attendance list."
        ),
    )


def _checked_in_at(session: Session, person: Person) -> Attendance | None:
    return Attendance.objects.filter(session=session, person=person).only("recorded_at").first()


# -- the signed link ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def checkin_link(request: HttpRequest, token: str) -> HttpResponse:
    """The check-in link of the QR code (sign-in required: the middleware sends people to the
    sign-in page and back). GET shows the session and one "Check in" button; POST checks in."""
    try:
        session_id = checkin_token_read(token)
    except CheckInLinkExpired:
        return _expired(request)
    except CheckInLinkInvalid:
        return _problem(
            request,
            400,
            _("This check-in link is not valid"),
            _(
                "This check-in link is not valid: it may have been cut off or changed. "
                "Scan the QR code again, or use “I'm here” on the session page."
            ),
        )
    session = (
        selectors.sessions_visible_to(person=_reader(request))
        .select_related("programme")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return _problem(
            request,
            404,
            _("You cannot check in to this session"),
            _(
                "This session does not exist, or it is not open to you (it may be for invited "
                "people only). Ask the host if you think you should be on the list."
            ),
        )
    state = _checkin_state(session)
    if state != OPEN:
        return _closed(request, session, state)
    context = {"session": session, "token": token}
    if request.method == "POST":
        try:
            attendance, created = checkin(
                session=session, person=_reader(request), method=Attendance.Method.CHECK_IN
            )
        except CheckInClosed as closed:
            return _closed(request, session, closed.state)
        return render(
            request,
            "attendance/checkin_link.html",
            context | {"attendance": attendance, "created": created, "done": True},
        )
    return render(
        request,
        "attendance/checkin_link.html",
        context | {"attendance": _checked_in_at(session, _reader(request))},
    )


# -- the host's page ------------------------------------------------------------------------------


def _people(session: Session) -> list[Attendance]:
    return list(
        Attendance.objects.filter(session=session)
        .select_related("person")
        .order_by("recorded_at", "id")
    )


@require_GET
def checkin_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The host's check-in page: the QR code to put on screen, the link, who has checked in."""
    session = _editable_session(request, pk)
    state = checkin_state(session)
    has_link = session.state in (State.SCHEDULED, State.HELD) and session.end is not None
    return render(
        request,
        "attendance/checkin_page.html",
        {
            "session": session,
            "state": state,
            "opens_at": checkin_opens_at(session),
            "opens_minutes": OPENS_MINUTES,
            "url": checkin_url(session) if has_link and state != OVER else "",
            "people": _people(session),
            "refresh_seconds": REFRESH_SECONDS if state in (OPEN, NOT_YET) else None,
            "nav": "sessions",
        },
    )


@require_GET
def checkin_people(request: HttpRequest, pk: int) -> HttpResponse:
    """Who has checked in (the live part of the host's page, polled by htmx)."""
    session = _editable_session(request, pk)
    return render(
        request,
        "attendance/checkin_page.html#people",
        {
            "session": session,
            "people": _people(session),
            # Polling stops once check-in is over (the list no longer changes by itself).
            "refresh_seconds": REFRESH_SECONDS
            if checkin_state(session) in (OPEN, NOT_YET)
            else None,
        },
    )


@require_GET
def checkin_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR code of the check-in link, as SVG (same permission as the page)."""
    session = _editable_session(request, pk)
    if session.state not in (State.SCHEDULED, State.HELD) or session.end is None:
        return HttpResponse(
            _("This session is not scheduled: it has no check-in link."),
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    svg = checkin_qr_svg(
        checkin_url(session), title=_("Check-in link of “%(title)s”") % {"title": session.title}
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


# -- "I'm here" on the session page ---------------------------------------------------------------


def checkin_context(request: HttpRequest, session: Session, *, can_edit: bool) -> dict:
    """Check-in panel on the session page ("I'm here", the host's check-in page link).

    At most one query (whether the reader has checked in), and only during the window.
    """
    state = _checkin_state(session)
    attendance = _checked_in_at(session, _reader(request)) if state == OPEN else None
    return {
        # Everybody who may see the session during the window; its hosts before it too.
        "checkin_shown": state == OPEN or (can_edit and state == NOT_YET),
        "checkin_open": state == OPEN,
        "checkin_state": state,
        "checkin_opens_at": checkin_opens_at(session),
        "checkin_attendance": attendance,
        "checkin_can_manage": can_edit,
    }


@require_POST
def checkin_remote(request: HttpRequest, pk: int) -> HttpResponse:
    """ "I'm here": check in from the session page (online attendees). With htmx only the card
    is swapped; without JavaScript the page is reloaded with a message."""
    session = _visible_session(request, pk)
    can_edit = selectors.session_can_edit(person=_reader(request), session=session)
    htmx = bool(request.headers.get("HX-Request"))
    try:
        attendance, created = checkin(
            session=session, person=_reader(request), method=Attendance.Method.REMOTE
        )
    except CheckInClosed as closed:
        if not htmx:
            if closed.state == HELD:  # back to the session page, with the reason
                messages.error(request, _held_text(session))
                return redirect(session)
            return _closed(request, session, closed.state)
        context = checkin_context(request, session, can_edit=can_edit)
        context |= {
            "session": session,
            "checkin_message": _closed_text(closed.state),
            "checkin_error": True,
        }
        return render(request, "attendance/_session_checkin.html", context)
    if not htmx:
        if created:
            messages.success(
                request, _("You're checked in to “%(title)s”.") % {"title": session.title}
            )
        else:
            messages.info(
                request,
                _("You were already checked in at %(time)s.")
                % {"time": _time(attendance.recorded_at)},
            )
        return redirect(session)
    return render(
        request,
        "attendance/_session_checkin.html",
        checkin_context(request, session, can_edit=can_edit) | {"session": session},
    )


def _closed_text(state: str) -> str:
    return {
        CANCELLED: _("This session was cancelled."),
        NOT_YET: _("Check-in has not opened yet."),
        OVER: _("The session is over: check-in is closed."),
        HELD: _(
            "The session was marked as held: its attendance list is final. "
            "Ask the host to add you if you were there."
        ),
    }.get(state, _("This session is not scheduled."))


# -- the join link of an online session -----------------------------------------------------------


def join_context(request: HttpRequest, session: Session, *, can_edit: bool) -> dict | None:
    """The join link on the session page (no query): shown while the session is not
    cancelled and has a call to join."""
    if not session.call_url or session.state == State.CANCELLED:
        return None
    return {"join_opens_checkin": _checkin_state(session) in (OPEN, NOT_YET)}


@require_GET
def join(request: HttpRequest, pk: int) -> HttpResponse:
    """``/sessions/<id>/join/``: the way to the session's call that checks the reader in.

    Whoever may see the session is sent on to its join link (``Session.call_url``); during the
    check-in window (``checkin_state``) they are first checked in as an online attendee, once
    (``checkin`` is idempotent). Outside the window, and after the session was marked held, they
    are sent on without a record (a host testing the call, someone late). A cancelled session,
    and one without a join link, answer with a page that says so.
    """
    session = _visible_session(request, pk)
    if session.state == State.CANCELLED:
        return _closed(request, session, CANCELLED)
    if not session.call_url:
        return _problem(
            request,
            404,
            _("This session has no join link"),
            _("“%(title)s” is not held online: it has no link to a call.")
            % {"title": session.title},
        )
    if _checkin_state(session) == OPEN:
        # Closed meanwhile (moved, held): nothing is recorded, the way to the call stays open.
        with contextlib.suppress(CheckInClosed):
            checkin(session=session, person=_reader(request), method=Attendance.Method.REMOTE)
    response = HttpResponseRedirect(session.call_url)
    # The call's address is the session's; nothing here may be cached for another reader.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
