"""Calendar feeds (per person, per programme, per session), the subscribe page, stars and the
personal agenda.

Calendar clients cannot sign in: the personal feed and the programme feeds accept the person's
secret feed token instead, and answer 404 for an unknown or revoked one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from icalendar import Calendar

from kshare.calendars import ical, selectors, services
from kshare.calendars.models import CalendarFeed
from kshare.people.models import Person
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.sessions.models import Session, State
from kshare.sessions.selectors import sessions_visible_to
from kshare.sessions.stars import star_set

AGENDA_PAGE_SIZE = 20
# Feeds change when a session does; an hour-old copy is what subscribed clients live with anyway.
# ``private``: a feed is personal (its address is a secret, or it depends on who signed in).
FEED_CACHE = "private, max-age=300"

SUBSCRIBE_ACTIONS = ("create", "reset", "revoke", "settings")


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "web/error.html", {"status": status, "title": title, "text": text}, status=status
    )


def _ics_response(
    request: HttpRequest, cal: Calendar, *, filename: str, attachment: bool = False
) -> HttpResponse:
    """The serialised calendar with an ETag: an unchanged feed answers 304 Not Modified."""
    body = ical.calendar_bytes(cal)
    etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = FEED_CACHE
    response["ETag"] = etag
    # Secret addresses must not end up in a search engine.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return get_conditional_response(request, etag=etag, response=response)


FEED_BYTES_TIMEOUT = 24 * 60 * 60


def _feed_response(
    request: HttpRequest,
    *,
    name: str,
    description: str,
    sessions: Iterable[Session],
    rhythm_events: Iterable[RhythmEvent] = (),
    filename: str,
) -> HttpResponse:
    """A subscribed feed: its ETag is the fingerprint of the rows it is built from, so an
    unchanged feed answers 304 without being built, and its bytes are cached under that
    fingerprint (shared by every reader whose feed is the same, never stale: see
    ``ical.feed_fingerprint``). No Last-Modified: a session leaving a feed would not move it."""
    sessions, rhythm_events = list(sessions), list(rhythm_events)
    fingerprint = ical.feed_fingerprint(
        name=name, description=description, sessions=sessions, rhythm_events=rhythm_events
    )
    # The body holds a few words of kshare's own (the join link's label, a rhythm event's
    # default description): one cached body and ETag per language.
    language = translation.get_language() or settings.LANGUAGE_CODE
    etag = f'"{fingerprint}-{language}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    key = f"calendars:feed:{language}:{fingerprint}"
    body = cache.get(key)
    if body is None:
        cal = ical.feed_calendar(
            name=name, description=description, sessions=sessions, rhythm_events=rhythm_events
        )
        body = ical.calendar_bytes(cal)
        cache.set(key, body, FEED_BYTES_TIMEOUT)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = FEED_CACHE
    response["ETag"] = etag
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def feed_urls(path: str) -> dict[str, str]:
    """The https address (from SITE_URL) and the ``webcal://`` subscribe link of ``path``."""
    https = settings.SITE_URL + path
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def _person_feed_name(person: Person) -> str:
    return f"{settings.KSHARE_ORGANISATION_NAME}: {person.display_name}"


@login_not_required
@require_safe
def person_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's sessions (and, when chosen, the rhythm events) as a subscribable feed."""
    feed = selectors.feed_for_token(token=token)
    if feed is None:
        raise Http404("No calendar feed at this address (it may have been reset).")
    person = feed.person
    rhythm = selectors.feed_rhythm_events(person=person) if feed.include_rhythm else []
    return _feed_response(
        request,
        name=_person_feed_name(person),
        description=_("Knowledge-sharing sessions of %(name)s") % {"name": person.display_name},
        sessions=selectors.person_feed_sessions(person=person),
        rhythm_events=rhythm,
        filename="kshare.ics",
    )


@login_not_required
@require_safe
def programme_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """A programme's sessions for someone who may see the programme: signed in, or ``?token=``
    with their personal feed token (calendar clients do not sign in)."""
    token = request.GET.get("token")
    if token is not None:
        feed = selectors.feed_for_token(token=token)
        if feed is None:
            raise Http404("No calendar feed for this token (it may have been reset).")
        person: Person = feed.person
    elif request.user.is_authenticated:
        person = request.user
    else:
        return redirect_to_login(request.get_full_path())
    programme = selectors.programme_for_feed(person=person, slug=slug)
    if programme is None:
        raise Http404("No such programme.")
    return _feed_response(
        request,
        name=programme.name,
        description=programme.cadence or _("Sessions of %(name)s") % {"name": programme.name},
        sessions=selectors.programme_feed_sessions(person=person, programme=programme),
        filename=f"{programme.slug}.ics",
    )


@require_safe
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """One session as an .ics file to import ("Add to calendar")."""
    session = (
        sessions_visible_to(person=request.user).select_related("programme").filter(pk=pk).first()
    )
    if session is None:
        raise Http404
    if session.state not in (State.SCHEDULED, State.HELD, State.CANCELLED) or not (
        session.start and session.end
    ):
        return _error(
            request,
            404,
            _("No date yet"),
            _("This session is not scheduled yet, so there is nothing to add to a calendar."),
        )
    cal = ical.calendar_new(name=session.title, method="PUBLISH")
    cal.add_component(ical.session_event(session, stamp=session.updated_at))
    return _ics_response(request, cal, filename=f"session-{session.pk}.ics", attachment=True)


def _programme_rows(person: Person, feed: CalendarFeed | None) -> list[dict]:
    rows = []
    for programme in selectors.feed_programmes(person=person):
        path = reverse("calendars:programme_feed", args=[programme.slug])
        if feed is not None:
            path += f"?token={feed.token}"
        rows.append({"programme": programme, **feed_urls(path)})
    return rows


@never_cache
def subscribe(request: HttpRequest) -> HttpResponse:
    """The person's secret feed address (webcal:// and https), create/reset/revoke it, the
    rhythm toggle, and the programme feeds."""
    person = request.user
    if request.method == "POST":
        return _subscribe_post(request, person)
    feed = selectors.feed_of(person=person)
    context = {
        "feed": feed,
        "feed_urls": (
            feed_urls(reverse("calendars:person_feed", args=[feed.token])) if feed else None
        ),
        "programmes": _programme_rows(person, feed),
        "nav": "calendar",
    }
    return render(request, "calendars/subscribe.html", context)


def _subscribe_post(request: HttpRequest, person: Person) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in SUBSCRIBE_ACTIONS:
        return _error(
            request,
            400,
            _("Bad request"),
            _("Choose one of the buttons on the calendar page: create, reset or stop the address."),
        )
    if action == "create":
        services.feed_create(person=person)
        messages.success(request, _("Your calendar address is ready: subscribe to it below."))
    elif action == "reset":
        services.feed_reset(person=person)
        messages.success(
            request,
            _(
                "Your calendar address is new. The old one stops working: subscribe again with "
                "the address below."
            ),
        )
    elif action == "revoke":
        if services.feed_revoke(person=person):
            messages.success(request, _("Your calendar address is switched off."))
    else:
        include = request.POST.get("include_rhythm") == "on"
        services.feed_settings_set(person=person, include_rhythm=include)
        messages.success(
            request,
            _("Your feed now includes the information-sharing rhythm.")
            if include
            else _("Your feed now shows knowledge-sharing sessions only."),
        )
    return redirect("calendars:subscribe")


def agenda(request: HttpRequest) -> HttpResponse:
    """Upcoming sessions the person starred, hosts or said yes/maybe to."""
    page = Paginator(selectors.agenda_sessions(person=request.user), AGENDA_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "calendars/agenda.html",
        {"page_obj": page, "sessions": page.object_list, "nav": "agenda"},
    )


def _next_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def star(request: HttpRequest, pk: int) -> HttpResponse:
    """Star (``star=on``) or unstar (``star=off``) a session: the desired state, so a repeated
    request changes nothing. With htmx only the star button is swapped."""
    session: Session | None = sessions_visible_to(person=request.user).filter(pk=pk).first()
    if session is None:
        raise Http404
    wanted = request.POST.get("star")
    if wanted not in ("on", "off"):
        return _error(request, 400, _("Bad request"), _("Send star=on or star=off."))
    starred = star_set(session=session, person=request.user, on=wanted == "on")
    if request.headers.get("HX-Request"):
        return render(
            request,
            "calendars/_star.html#star",
            {
                "session": session,
                "starred": starred,
                "star_compact": request.POST.get("compact") == "1",
                "star_next": _next_url(request, ""),
                "star_message": _("Starred: it is on your agenda and in your calendar feed.")
                if starred
                else _("Star removed."),
            },
        )
    messages.success(
        request,
        _("“%(title)s” is starred: it is on your agenda and in your calendar feed.")
        % {"title": session.title}
        if starred
        else _("“%(title)s” is no longer starred.") % {"title": session.title},
    )
    return redirect(_next_url(request, session.get_absolute_url()))
