"""The pages where someone named as co-host, or the host of a draft proposed on their behalf,
accepts or declines (``kshare.sessions.cohosting``, ``kshare.sessions.drafts``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kshare.sessions import cohosting, drafts, selectors


def cohosting_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the invitation, POST ``answer=accept|decline`` answers it. Anyone but the named
    person gets a 404, like a missing invitation."""
    invitation = cohosting.cohost_invitation_get(person=request.user, pk=pk)
    if invitation is None:
        raise Http404
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in {"accept", "decline"}:
            messages.error(request, _("Choose accept or decline."))
        else:
            try:
                cohosting.cohost_answer(
                    invitation=invitation, person=request.user, accept=answer == "accept"
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if answer == "accept":
                    messages.success(request, _("You co-host this session now."))
                    return redirect(invitation.session)
                messages.success(request, _("You declined: you are not a co-host."))
        return redirect("sessions:cohosting", pk=invitation.pk)
    return render(
        request,
        "sessions/cohosting.html",
        {"invitation": invitation, "session": invitation.session, "nav": "sessions"},
    )


def draft_hosting(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft proposed on someone's behalf (``kshare.sessions.drafts``): GET shows it to its
    host, POST ``answer=accept|decline`` answers. Anyone but the host gets a 404."""
    session = selectors.session_detail(person=request.user, pk=pk)
    link = drafts.draft_host(session) if session is not None else None
    if session is None or session.proposed_by_id is None or link is None:
        raise Http404
    if link.person_id != request.user.pk:
        raise Http404
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in {"accept", "decline"}:
            messages.error(request, _("Choose accept or decline."))
        else:
            try:
                drafts.draft_answer(session=session, person=request.user, accept=answer == "accept")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if answer == "accept":
                    messages.success(
                        request, _("You host this session. Schedule it when you have a slot.")
                    )
                    return redirect(session)
                messages.success(
                    request, _("You declined: the draft is withdrawn and its proposer is told.")
                )
        return redirect("sessions:hosting", pk=session.pk)
    return render(request, "sessions/hosting.html", {"session": session, "nav": "sessions"})
