"""The VEVENT of a session: what its invitations carry (``invitation_mail.py``, ``host_mail.py``)
and what the calendar feeds list (``kshare/calendars/ical.py``).

Sessions are written in UTC (``DTSTART:...Z``). UIDs are stable (``session-<pk>@<domain>``);
SEQUENCE comes from the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Event, vCalAddress, vText, vUri

from kshare.core.ical import uid_domain, utc_stamp
from kshare.sessions.models import Session, State


def session_uid(session: Session) -> str:
    return f"session-{session.pk}@{uid_domain()}"


def session_event(
    session: Session,
    *,
    cancelled: bool | None = None,
    attendees: Iterable[tuple[str, str, str]] = (),
    chairs: Iterable[tuple[str, str]] = (),
    stamp: datetime | None = None,
) -> Event:
    """The VEVENT of a scheduled (or cancelled) session.

    ``attendees``: (e-mail, display name, PARTSTAT) of the invitee an invitation
    (METHOD:REQUEST/CANCEL) is for, asked to answer (``RSVP=TRUE``). ``chairs``: (e-mail,
    display name) of the hosts and co-hosts, ``ROLE=CHAIR`` and already ``ACCEPTED``, never
    asked. A feed passes neither: it is one person's view and names nobody else.
    ORGANIZER is ``KSHARE_CALENDAR_REPLY_ADDRESS``, the mailbox ``kshare mail-in`` reads, so an
    Accept or Decline pressed in a calendar program comes back as the RSVP (iMIP, RFC 6047).
    ``stamp``: the DTSTAMP; by default now (right for a METHOD message). A feed without METHOD
    passes the session's last change (RFC 5545 3.8.7.2).
    """
    if session.start is None or session.end is None:
        raise ValueError("Only a session with a start and an end has a calendar event.")
    cancelled = session.state == State.CANCELLED if cancelled is None else cancelled
    event = Event()
    event.add("uid", session_uid(session))
    event.add("sequence", session.sequence)
    event.add("dtstamp", utc_stamp(stamp or timezone.now()))
    # UTC on both ends: a session that starts on one day and ends on another (a two-day
    # workshop) is exact in every client, whatever its timezone.
    event.add("dtstart", session.start.astimezone(UTC))
    event.add("dtend", session.end.astimezone(UTC))
    event.add("summary", session.title)
    url = settings.SITE_URL + session.get_absolute_url()
    event.add("url", url)
    description = f"{session.get_format_display()} — {session.programme.name}\n{url}"
    if session.call_url:
        description += f"\nJoin: {session.call_url}"
    event.add("description", description)
    location = session.location or session.call_url
    if location:
        event.add("location", location)
    if session.call_url:
        # RFC 7986 5.11: clients that know CONFERENCE show a "Join" button for it.
        event.add(
            "conference",
            vUri(session.call_url),
            parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": gettext("Join the call")},
        )
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("categories", ["Knowledge sharing"])
    event.add("transp", "OPAQUE")
    organiser = vCalAddress(f"mailto:{settings.KSHARE_CALENDAR_REPLY_ADDRESS}")
    organiser.params["cn"] = vText(settings.KSHARE_ORGANISATION_NAME)
    event.add("organizer", organiser)
    for email, name in chairs:
        chair = vCalAddress(f"mailto:{email}")
        chair.params["cn"] = vText(name)
        chair.params["role"] = vText("CHAIR")
        chair.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", chair, encode=False)
    for email, name, partstat in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText(partstat)
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    return event


def session_chairs(session: Session) -> list[tuple[str, str]]:
    """(e-mail, display name) of the session's hosts and co-hosts who still have an account,
    the host first: the ``ROLE=CHAIR`` attendees of its invitations."""
    return [
        (link.person.email, link.person.display_name)
        for link in session.host_links.select_related("person").order_by("-role", "id")
        if link.person.is_active
    ]


def session_pk_from_uid(uid: str) -> int | None:
    """The session a UID written by ``session_uid`` names on this site, or None (another
    site's, a rhythm event's, or not ours at all)."""
    local, at, domain = uid.strip().rpartition("@")
    if not at or domain.lower() != uid_domain().lower() or not local.startswith("session-"):
        return None
    number = local.removeprefix("session-")
    if not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return int(number) or None
