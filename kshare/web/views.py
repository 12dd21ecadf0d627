from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kshare.feedback.selectors import feedback_requests_open
from kshare.sessions import selectors as session_selectors


def home(request: HttpRequest) -> HttpResponse:
    person = request.user
    upcoming = list(session_selectors.sessions_upcoming(person=person)[:5])
    hosting = list(
        session_selectors.sessions_hosting(person=person).filter(
            state__in=["proposed", "scheduled"]
        )[:5]
    )
    feedback_waiting = feedback_requests_open(person=person).count()
    return render(
        request,
        "web/home.html",
        {
            "upcoming": upcoming,
            "hosting": hosting,
            "feedback_waiting": feedback_waiting,
            "nav": "home",
        },
    )


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: the process answers and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "web/error.html", {"status": status, "title": title, "text": text}, status=status
    )


@login_not_required
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from django.core.exceptions import RequestDataTooBig

    if isinstance(exception, RequestDataTooBig):
        return _error(
            request,
            400,
            _("That was too much text"),
            _(
                "The form you sent is larger than 2.5 MB, so nothing was saved. "
                "Go back, shorten the longest field and send it again."
            ),
        )
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    text = str(exception) if exception and str(exception) else _("You are not allowed to do that.")
    return _error(request, 403, _("Not allowed"), text)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 404, _("Not found"), _("There is nothing here, or it is not shared with you.")
    )


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors or database here: whatever failed may fail again.
    import sys

    from django.template import loader

    from kshare.web.busy import busy_response, database_busy

    # A busy database raised outside a view (a middleware saving the session): 503, not 500.
    if database_busy(sys.exc_info()[1]):
        return busy_response(request)

    template = loader.get_template("web/500.html")
    return HttpResponse(template.render({}), status=500)
