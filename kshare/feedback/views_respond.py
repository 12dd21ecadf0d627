"""Answering feedback forms: the in-app inbox, the form page and the thank-you page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kshare.feedback.forms import ResponseForm
from kshare.feedback.models import FeedbackRequest
from kshare.feedback.selectors import feedback_requests_open
from kshare.feedback.services import (
    ALREADY_ANSWERED,
    feedback_closed_message,
    response_submit,
)

RECENTLY_ANSWERED = 10


def _days_left(request: FeedbackRequest) -> int:
    return (request.closes_at - timezone.now()).days


def inbox(request: HttpRequest) -> HttpResponse:
    waiting = list(feedback_requests_open(person=request.user).select_related("session__programme"))
    for item in waiting:
        item.days_left = _days_left(item)
    answered = list(
        FeedbackRequest.objects.filter(person=request.user, answered=True)
        .select_related("session__programme")
        .order_by("-sent_at", "-id")[:RECENTLY_ANSWERED]
    )
    return render(
        request,
        "feedback/inbox.html",
        {"waiting": waiting, "answered": answered},
    )


def _own_request(request: HttpRequest, pk: int) -> FeedbackRequest:
    feedback_request = (
        FeedbackRequest.objects.select_related("session__programme", "form")
        .filter(pk=pk, person=request.user)
        .first()
    )
    if feedback_request is None:
        # Someone else's form looks exactly like one that does not exist.
        raise Http404
    return feedback_request


def _unavailable(request: HttpRequest, feedback_request: FeedbackRequest) -> HttpResponse | None:
    """The page instead of the form when it is answered (200) or closed (410)."""
    context = {"feedback_request": feedback_request, "session": feedback_request.session}
    if feedback_request.answered:
        return render(
            request, "feedback/respond_done.html", context | {"message": ALREADY_ANSWERED}
        )
    if feedback_request.closes_at <= timezone.now():
        message = feedback_closed_message(request=feedback_request, person=request.user)
        return render(
            request, "feedback/respond_done.html", context | {"message": message}, status=410
        )
    return None


def respond(request: HttpRequest, pk: int) -> HttpResponse:
    feedback_request = _own_request(request, pk)
    unavailable = _unavailable(request, feedback_request)
    if unavailable is not None:
        return unavailable
    session = feedback_request.session
    anonymous = session.programme.feedback_anonymous
    questions = list(feedback_request.form.questions.all())
    form = ResponseForm(request.POST or None, questions=questions, anonymous=anonymous)
    if request.method == "POST" and form.is_valid():
        try:
            response_submit(request=feedback_request, person=request.user, data=form.answers())
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            if exc.code in ("answered", "closed"):
                # Answered in another tab, or closed while the page was open.
                feedback_request.refresh_from_db()
                page = _unavailable(request, feedback_request)
                if page is not None:
                    return page
            form.add_error(None, exc)
        else:
            return redirect("feedback:respond_thanks", pk=feedback_request.pk)
    return render(
        request,
        "feedback/respond.html",
        {
            "feedback_request": feedback_request,
            "session": session,
            "hosts": list(session.hosts.all()),
            "anonymous": anonymous,
            "form": form,
        },
    )


def respond_thanks(request: HttpRequest, pk: int) -> HttpResponse:
    feedback_request = _own_request(request, pk)
    if not feedback_request.answered:
        return redirect("feedback:respond", pk=feedback_request.pk)
    return render(
        request,
        "feedback/respond_thanks.html",
        {
            "feedback_request": feedback_request,
            "session": feedback_request.session,
            "anonymous": feedback_request.session.programme.feedback_anonymous,
            "waiting": feedback_requests_open(person=request.user).count(),
        },
    )
