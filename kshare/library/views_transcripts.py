"""Transcript pages: add or replace a recording's transcript, remove it, download it as WebVTT."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kshare.core.bodylimit import request_body_max
from kshare.library import services_transcripts as services
from kshare.library import transcripts
from kshare.library.forms_transcripts import TranscriptForm
from kshare.library.models import Cue, Material, Transcript
from kshare.sessions.selectors import session_can_edit, sessions_visible_to


def _recording(request: HttpRequest, pk: int) -> Material:
    """A recording of a session the viewer may see; 404 otherwise (missing looks the same)."""
    material = (
        Material.objects.select_related("session")
        .filter(
            pk=pk,
            kind=Material.Kind.RECORDING,
            session__in=sessions_visible_to(person=request.user),
        )
        .first()
    )
    if material is None:
        raise Http404
    return material


def _editable_recording(request: HttpRequest, pk: int) -> Material:
    material = _recording(request, pk)
    if not session_can_edit(person=request.user, session=material.session):
        raise PermissionDenied(
            _(
                "Only the session's hosts, its programme's organisers and admins can change its "
                "transcripts."
            )
        )
    return material


def _back_to(material: Material, transcript: Transcript | None = None) -> str:
    # The transcript's section is "transcript-<transcript pk>" (search results link there too).
    anchor = f"transcript-{transcript.pk}" if transcript else f"material-{material.pk}"
    return f"{material.session.get_absolute_url()}#{anchor}"


class TranscriptUploadHandler(MemoryFileUploadHandler):
    """Keeps a transcript file in memory up to ``transcripts.MAX_BYTES`` and drops the rest.

    A transcript is small: a bigger file is not stored anywhere (not even in a temporary
    file); the form then says it is too large.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.too_large: str | None = None
        self.received = 0

    def new_file(self, *args, **kwargs) -> None:
        self.received = 0
        super().new_file(*args, **kwargs)  # raises StopFutureHandlers: this one keeps the file

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Always in memory (the base class switches to disk above FILE_UPLOAD_MAX_MEMORY_SIZE).
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > transcripts.MAX_BYTES:
            limit = transcripts.MAX_BYTES // 1024 // 1024
            if self.file_name:
                self.too_large = _(
                    "%(name)s is too large: transcripts can be at most %(limit)s MB."
                ) % {"name": self.file_name, "limit": limit}
            else:
                self.too_large = _(
                    "The file is too large: transcripts can be at most %(limit)s MB."
                ) % {"limit": limit}
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


# A file up to the limit (larger ones get the form's message while there is room), or pasted text.
@request_body_max(lambda: 2 * transcripts.MAX_BYTES)
@csrf_exempt
@require_http_methods(["GET", "POST"])
def transcript_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Add or replace a transcript. Permission is checked before the body is read, then the
    upload handler is installed, then CSRF is checked (Django's pattern for per-view handlers)."""
    material = _editable_recording(request, pk)
    handler = TranscriptUploadHandler(request)
    if request.method == "POST":
        request.upload_handlers = [handler]
    return _transcript_edit(request, material, handler)


@csrf_protect
def _transcript_edit(
    request: HttpRequest, material: Material, handler: TranscriptUploadHandler
) -> HttpResponse:
    transcript = services.transcript_for(material=material)
    if request.method == "POST":
        form = TranscriptForm(request.POST, request.FILES, too_large=handler.too_large)
        if form.is_valid():
            replaced = transcript is not None
            saved = services.transcript_save(
                material=material,
                parsed=form.cleaned_data["parsed"],
                language=form.cleaned_data["language"],
            )
            count = saved.cues.count()
            if replaced:
                text = ngettext(
                    "Transcript replaced: %(count)s line.",
                    "Transcript replaced: %(count)s lines.",
                    count,
                )
            else:
                text = ngettext(
                    "Transcript added: %(count)s line.", "Transcript added: %(count)s lines.", count
                )
            messages.success(request, text % {"count": count})
            return redirect(_back_to(material, saved))
    cues = list(transcript.cues.order_by("position")) if transcript else []
    if request.method != "POST":
        initial = {"language": transcript.language if transcript else ""}
        if transcript is not None and transcript.source == Transcript.Source.AUTOMATIC:
            # The host corrects the computer's words in place: saving the edited WebVTT makes
            # it a person's transcript (source "vtt"), with the same times.
            initial["text"] = services.transcript_as_vtt(transcript=transcript, cues=cues)
        form = TranscriptForm(initial=initial)
    return render(
        request,
        "library/transcript_edit.html",
        {
            "material": material,
            "session": material.session,
            "transcript": transcript,
            "cues": services.cue_views(cues),
            "form": form,
            "nav": "sessions",
        },
    )


@require_POST
def transcript_delete(request: HttpRequest, pk: int) -> HttpResponse:
    material = _editable_recording(request, pk)
    if services.transcript_delete(material=material):
        messages.success(request, _("Transcript removed."))
    else:
        messages.info(request, _("There was no transcript to remove."))
    return redirect(_back_to(material))


@require_GET
def transcript_vtt(request: HttpRequest, pk: int) -> HttpResponse:
    """The transcript as WebVTT: captions for the player (``<track>``) and a download."""
    material = _recording(request, pk)
    transcript = services.transcript_for(material=material)
    if transcript is None:
        raise Http404
    cues = list(Cue.objects.filter(transcript=transcript).order_by("position"))
    response = HttpResponse(
        services.transcript_as_vtt(transcript=transcript, cues=cues),
        content_type="text/vtt; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def transcript_chapters_vtt(request: HttpRequest, pk: int) -> HttpResponse:
    """The transcript's chapters as WebVTT, for the player's ``<track kind="chapters">``."""
    material = _recording(request, pk)
    transcript = services.transcript_for(material=material)
    if transcript is None or not transcript.chapters:
        raise Http404
    response = HttpResponse(
        services.chapters_as_vtt(transcript=transcript), content_type="text/vtt; charset=utf-8"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response
