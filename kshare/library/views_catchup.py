"""The catch-up feed page, its mark/undo actions and the weekly e-mail switch."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kshare.library import catchup as services
from kshare.library.models import CatchUpSignal
from kshare.library.templatetags.catchup import catchup_state

# What the page says after a mark (True) and after its undo (False).
DONE = {
    (CatchUpSignal.Kind.WATCHED, True): gettext_lazy("“%(title)s” is marked as watched."),
    (CatchUpSignal.Kind.WATCHED, False): gettext_lazy(
        "“%(title)s” is no longer marked as watched."
    ),
    (CatchUpSignal.Kind.NOT_INTERESTED, True): gettext_lazy(
        "“%(title)s” is marked as not interesting to you."
    ),
    (CatchUpSignal.Kind.NOT_INTERESTED, False): gettext_lazy(
        "“%(title)s” is no longer marked as not interesting to you."
    ),
}


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "web/error.html", {"status": status, "title": title, "text": text}, status=status
    )


def _next_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_GET
def catchup(request: HttpRequest) -> HttpResponse:
    page = services.catchup_feed(person=request.user, page=request.GET.get("page"))
    subscription = services.catchup_subscription_for(person=request.user)
    return render(
        request,
        "library/catchup.html",
        {
            "nav": "catchup",
            "page_obj": page,
            "items": page.object_list,
            "weekly_email": bool(subscription and subscription.weekly_email),
            "recent": services.catchup_recent_signals(person=request.user),
        },
    )


def _signal(request: HttpRequest, pk: int, *, on: bool) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind not in CatchUpSignal.Kind.values:
        return _error(
            request, 400, _("Bad request"), _("Send kind=watched or kind=not_interested.")
        )
    if on:
        signal = services.catchup_mark(person=request.user, session=pk, kind=kind)
        session = signal.session
    else:
        services.catchup_unmark(person=request.user, session=pk, kind=kind)
        from kshare.sessions.models import Session

        session = Session.objects.get(pk=pk)  # visible: catchup_unmark checked it
    text = DONE[CatchUpSignal.Kind(kind), on] % {"title": session.title}
    source = request.POST.get("from", "feed")
    if request.headers.get("HX-Request"):
        if source == "session":
            return render(
                request,
                "library/_catchup_session.html#box",
                {
                    "session": session,
                    "catchup": catchup_state(request.user, session),
                    "catchup_message": text,
                },
            )
        if on:
            return render(
                request,
                "library/catchup.html#marked",
                {"session": session, "kind": kind, "text": text},
            )
        item = services.catchup_item(person=request.user, session_id=session.pk)
        if item is None:  # still hidden by the other signal: nothing to show
            return HttpResponse("")
        return render(request, "library/catchup.html#card", {"item": item})
    messages.success(request, text)
    fallback = (
        session.get_absolute_url() + "#materials"
        if source == "session"
        else reverse("library:catchup")
    )
    return redirect(_next_url(request, fallback))


@require_POST
def catchup_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a session as watched or not interesting (``kind``); with htmx the card is swapped
    for a line with an undo button, without JavaScript the page is reloaded."""
    return _signal(request, pk, on=True)


@require_POST
def catchup_unmark(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a mark; with htmx the card comes back."""
    return _signal(request, pk, on=False)


@require_POST
def catchup_email(request: HttpRequest) -> HttpResponse:
    """Switch the weekly catch-up e-mail on (``weekly_email=on``) or off (``off``)."""
    wanted = request.POST.get("weekly_email")
    if wanted not in ("on", "off"):
        return _error(
            request, 400, _("Bad request"), _("Send weekly_email=on or weekly_email=off.")
        )
    services.catchup_subscription_set(person=request.user, weekly_email=wanted == "on")
    messages.success(
        request,
        _("You will get a catch-up e-mail on Mondays when there is something new.")
        if wanted == "on"
        else _("No more weekly catch-up e-mails."),
    )
    return redirect(reverse("library:catchup") + "#weekly-email")
