"""The page where someone named as co-host accepts or declines (``kshare.sessions.cohosting``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kshare.sessions import cohosting


def cohosting_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the invitation, POST ``answer=accept|decline`` answers it. Anyone but the named
    person gets a 404, like a missing invitation."""
    invitation = cohosting.cohost_invitation_get(person=request.user, pk=pk)
    if invitation is None:
        raise Http404
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in {"accept", "decline"}:
            messages.error(request, "Choose accept or decline.")
        else:
            try:
                cohosting.cohost_answer(
                    invitation=invitation, person=request.user, accept=answer == "accept"
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if answer == "accept":
                    messages.success(request, "You co-host this session now.")
                    return redirect(invitation.session)
                messages.success(request, "You declined: you are not a co-host.")
        return redirect("sessions:cohosting", pk=invitation.pk)
    return render(
        request,
        "sessions/cohosting.html",
        {"invitation": invitation, "session": invitation.session, "nav": "sessions"},
    )
