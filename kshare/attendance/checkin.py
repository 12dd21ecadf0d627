"""Check-in: the window, the signed check-in link and its QR code, and checking in.

The window runs from ``CHECKIN_OPENS_BEFORE`` before a session's start to its end (the end is
not in it). A scheduled session takes check-ins during its window. Marking a session held freezes
its attendance log: from then on a check-in is refused (``HELD``), even inside the window of a
session marked held early, and requests no feedback; the host or an organiser can still add
someone on the attendance log, where it shows as a correction. Proposed and cancelled sessions
take none.

The link carries a token signed with its own salt (``CHECKIN_SALT``): the session's id and the
link's expiry (the session's end when the link was made, as a Unix time). It has no timestamp,
so the host's page, its QR code and a reload all show the same link. A link made before a
reschedule keeps its old expiry; the window is always checked against the session as it is now.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kshare.people.models import Person
from kshare.sessions.attendance import attendance_add
from kshare.sessions.models import Attendance, Session, State

CHECKIN_OPENS_BEFORE = timedelta(minutes=15)
CHECKIN_SALT = "kshare.checkin"

OPEN = "open"
NOT_YET = "not_yet"
OVER = "over"
CANCELLED = "cancelled"
NOT_SCHEDULED = "not_scheduled"
HELD = "held"  # marked held: the attendance log is frozen (only ``checkin`` refuses with it)


def checkin_state(session: Session, *, now: datetime | None = None) -> str:
    """Where ``session`` stands for check-in at ``now``: OPEN, NOT_YET, OVER, CANCELLED or
    NOT_SCHEDULED (proposed, or without times)."""
    if session.state == State.CANCELLED:
        return CANCELLED
    if session.state not in (State.SCHEDULED, State.HELD) or not session.start or not session.end:
        return NOT_SCHEDULED
    now = now or timezone.now()
    if now < session.start - CHECKIN_OPENS_BEFORE:
        return NOT_YET
    if now >= session.end:
        return OVER
    return OPEN


def checkin_opens_at(session: Session) -> datetime | None:
    return session.start - CHECKIN_OPENS_BEFORE if session.start else None


# -- the signed link ------------------------------------------------------------------------------


class CheckInLinkInvalid(Exception):
    """The token was not made by kshare for a check-in (cut off, changed, another salt)."""


class CheckInLinkExpired(Exception):
    """The token is genuine but its session has ended."""


def checkin_token(session: Session) -> str:
    """The signed token of ``session``'s check-in link (the same every time for the same end)."""
    if session.end is None:
        raise ValueError("A session without an end has no check-in link.")
    payload = {"s": session.pk, "e": int(session.end.timestamp())}
    return signing.Signer(salt=CHECKIN_SALT).sign_object(payload)


def checkin_token_read(token: str, *, now: datetime | None = None) -> int:
    """The session id a token names; raises CheckInLinkInvalid or CheckInLinkExpired."""
    try:
        value = signing.Signer(salt=CHECKIN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise CheckInLinkInvalid from exc
    if (
        not isinstance(value, dict)
        or set(value) != {"s", "e"}
        or not all(type(v) is int and v > 0 for v in value.values())
    ):
        raise CheckInLinkInvalid
    if (now or timezone.now()).timestamp() >= value["e"]:
        raise CheckInLinkExpired
    return value["s"]


def checkin_url(session: Session) -> str:
    """The absolute check-in link of ``session`` (the one in its QR code)."""
    return settings.SITE_URL + reverse("attendance:checkin_link", args=[checkin_token(session)])


def checkin_qr(url: str) -> segno.QRCode:
    # Error correction M: survives a glare or a smudge on a projected screen.
    return segno.make_qr(url, error="m")


def checkin_qr_svg(url: str, *, title: str) -> str:
    """The QR code of ``url`` as an SVG document: black on white in dark mode too (scanners need
    the contrast), four modules of quiet zone, sized by the page's CSS (no width/height)."""
    out = io.BytesIO()
    checkin_qr(url).save(
        out,
        kind="svg",
        border=4,
        dark="#000",
        light="#fff",
        xmldecl=False,
        omitsize=True,
        title=title,
        svgclass="qr-code",
        lineclass=None,
    )
    return out.getvalue().decode()


# -- checking in ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInClosed(Exception):
    """Check-in is not possible now; ``state`` is the window state (see ``checkin_state``)."""

    state: str


def checkin(
    *, session: Session, person: Person, method: str, now: datetime | None = None
) -> tuple[Attendance, bool]:
    """Check ``person`` in to ``session`` by ``method`` (check_in or remote); (row, created).

    The caller has checked that ``person`` may see the session. The window is checked on the
    locked session row, so a check-in never lands on a session cancelled or moved meanwhile.
    Idempotent: a second check-in returns the first row and writes nothing. Raises
    ``CheckInClosed`` outside the window, and with ``HELD`` once the session is marked held (the
    log is frozen: nothing is recorded and no feedback is requested).
    """
    with transaction.atomic():
        locked = (
            Session.objects.select_for_update(no_key=True)
            .only("pk", "state", "start", "end")
            .get(pk=session.pk)
        )
        state = checkin_state(locked, now=now)
        if state == OPEN and locked.state == State.HELD:
            state = HELD
        if state != OPEN:
            raise CheckInClosed(state)
        return attendance_add(session=locked, person=person, by=person, method=method)
