"""The automatic transcription's page part: its status (polled by htmx while it runs) and the
button that starts it (kshare.library.transcription)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kshare.library import selectors, transcription
from kshare.library.models import Material

# htmx stops polling when an answer has this status (the content is still swapped in).
STOP_POLLING = 286
POLL_SECONDS = 3


def _recording(request: HttpRequest, pk: int) -> Material:
    """A recording of a session the viewer may see, with its job and transcript; 404 otherwise."""
    material = (
        transcription.materials_with_transcriptions(
            selectors.materials_visible_to(person=request.user)
        )
        .select_related("session", "transcript")
        .filter(pk=pk, kind=Material.Kind.RECORDING)
        .first()
    )
    if material is None:
        raise Http404
    return material


def _part(request: HttpRequest, material: Material, *, can_edit: bool) -> HttpResponse:
    return render(
        request,
        "library/_transcription_status.html",
        {"material": material, "can_edit": can_edit, "poll_seconds": POLL_SECONDS, "polled": True},
    )


@require_GET
def transcription_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status part alone: what htmx swaps in every few seconds while the job runs.

    Once it has stopped, answers 286 (htmx stops polling); when a transcript is ready, an htmx
    request also gets ``HX-Refresh`` so the page reloads with the transcript in it.
    """
    material = _recording(request, pk)
    can_edit = selectors.material_can_edit(person=request.user, material=material)
    response = _part(request, material, can_edit=can_edit)
    status = transcription.transcription_status(material)
    if not status.running:
        response.status_code = STOP_POLLING
        if status.done and status.has_transcript and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
def transcription_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start (or retry) the automatic transcription of a recording; editors only."""
    material = _recording(request, pk)
    if not selectors.material_can_edit(person=request.user, material=material):
        raise PermissionDenied(
            _(
                "Only the session's hosts, its programme's organisers and admins can start a "
                "transcription."
            )
        )
    try:
        transcription.transcription_request(material=material, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The recording is queued for transcription."))
    return redirect(f"{material.session.get_absolute_url()}#material-{material.pk}")
