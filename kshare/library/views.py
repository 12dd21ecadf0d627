from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.http import content_disposition_header, http_date
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from kshare.library import selectors, services
from kshare.library.forms import FileMaterialForm, LinkForm, NotesForm, TitleForm
from kshare.library.models import Material
from kshare.library.services_transcripts import materials_with_transcripts
from kshare.library.uploads import MaterialUploadHandler
from kshare.sessions import selectors as session_selectors
from kshare.sessions.models import Session
from kshare.web.bodylimit import request_body_max

MEDIA_CHUNK_SIZE = 256 * 1024
# The multipart framing and text fields around an uploaded file.
UPLOAD_FORM_ALLOWANCE = 1024 * 1024
KIND_LABELS = {
    Material.Kind.RECORDING: "a recording",
    Material.Kind.SLIDES: "slides",
    Material.Kind.NOTES: "notes",
    Material.Kind.LINK: "a link",
}


def materials_context(request: HttpRequest, session: Session, *, can_edit: bool) -> dict:
    """What ``library/_session_materials.html`` needs on a session page.

    A constant number of queries: the materials, and (when there are any) the recordings'
    transcripts and cues in one prefetch each.
    """
    materials = list(materials_with_transcripts(selectors.materials_of_session(session=session)))
    by_kind: dict[str, list[Material]] = {kind: [] for kind in Material.Kind.values}
    for material in materials:
        by_kind[material.kind].append(material)
    return {
        "materials": materials,
        "material_recordings": by_kind[Material.Kind.RECORDING],
        "material_slides": by_kind[Material.Kind.SLIDES],
        "material_notes": by_kind[Material.Kind.NOTES],
        "material_links": by_kind[Material.Kind.LINK],
        "can_edit_materials": can_edit,
        "material_kinds": list(KIND_LABELS.items()),
    }


def _editable_session(request: HttpRequest, pk: int) -> Session:
    session = session_selectors.session_detail(person=request.user, pk=pk)
    if session is None:
        raise Http404  # invisible and missing look the same
    if not session_selectors.session_can_edit(person=request.user, session=session):
        raise PermissionDenied(
            "Only the session's hosts, its programme's organisers and admins can add materials."
        )
    return session


def _editable_material(request: HttpRequest, pk: int) -> Material:
    material = selectors.material_for_viewer(person=request.user, pk=pk)
    if material is None:
        raise Http404
    if not selectors.material_can_edit(person=request.user, material=material):
        raise PermissionDenied(
            "Only the session's hosts, its programme's organisers and admins can change materials."
        )
    return material


def max_upload_size(kind: str) -> int:
    if kind == Material.Kind.RECORDING:
        return settings.KSHARE_UPLOAD_MAX_VIDEO
    return settings.KSHARE_UPLOAD_MAX_OTHER


def _back(session: Session) -> str:
    return session.get_absolute_url() + "#materials"


# -- add -----------------------------------------------------------------------------------------


def _largest_upload() -> int:
    """The body a material upload may send: the larger file limit plus the form around it."""
    largest = max(settings.KSHARE_UPLOAD_MAX_VIDEO, settings.KSHARE_UPLOAD_MAX_OTHER)
    return largest + UPLOAD_FORM_ALLOWANCE


@request_body_max(_largest_upload)
@csrf_exempt
@require_http_methods(["GET", "POST"])
def material_add(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Add a material of ``kind`` to session ``pk``.

    File uploads are streamed to disk by ``MaterialUploadHandler``, installed here before
    anything reads the body (so CSRF is checked afterwards, by ``_material_add``: the Django
    docs' pattern for per-view upload handlers). Permission is checked first of all: a person who
    may not add materials never has their upload stored.
    """
    if kind not in Material.Kind.values:
        raise Http404
    session = _editable_session(request, pk)
    handler = None
    if request.method == "POST" and kind in services.FILE_KINDS:
        handler = MaterialUploadHandler(request, kind=kind, max_size=max_upload_size(kind))
        request.upload_handlers = [handler]
    return _material_add(request, session, kind, handler)


@csrf_protect
def _material_add(
    request: HttpRequest, session: Session, kind: str, handler: MaterialUploadHandler | None
) -> HttpResponse:
    form = _add_form(request, kind, handler)
    if request.method == "POST" and form.is_valid():
        try:
            _create(request, session, kind, form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Material added.")
            if request.headers.get("X-Upload") == "progress":
                # upload.js: a redirect would be followed inside the XMLHttpRequest (eating the
                # message); it navigates to this address itself.
                return HttpResponse(status=201, headers={"Location": _back(session)})
            return redirect(_back(session))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "library/material_form.html",
        {
            "form": form,
            "session": session,
            "kind": kind,
            "kind_label": KIND_LABELS[kind],
            "is_upload": kind in services.FILE_KINDS,
            "nav": "sessions",
        },
        status=status,
    )


def _add_form(request: HttpRequest, kind: str, handler: MaterialUploadHandler | None):
    data = request.POST if request.method == "POST" else None
    if kind in services.FILE_KINDS:
        return FileMaterialForm(
            data,
            request.FILES if data is not None else None,
            kind=kind,
            max_size=max_upload_size(kind),
            upload_error=handler.error if handler else None,
        )
    return (NotesForm if kind == Material.Kind.NOTES else LinkForm)(data)


def _create(request: HttpRequest, session: Session, kind: str, form) -> Material:
    data = form.cleaned_data
    if kind == Material.Kind.NOTES:
        return services.material_add_notes(
            session=session, title=data["title"], notes=data["notes"], by=request.user
        )
    if kind == Material.Kind.LINK or not data.get("file"):
        return services.material_add_link(
            session=session, kind=kind, title=data["title"], url=data["url"], by=request.user
        )
    upload = data["file"]
    return services.material_add_file(
        session=session,
        kind=kind,
        title=data["title"],
        upload=upload,
        sniffed=form.sniffed,
        filename=upload.name,
        by=request.user,
    )


# -- edit and delete -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def material_edit(request: HttpRequest, pk: int) -> HttpResponse:
    material = _editable_material(request, pk)
    if material.kind == Material.Kind.NOTES:
        form_class, initial = NotesForm, {"title": material.title, "notes": material.notes}
    elif material.kind == Material.Kind.LINK or not material.file:
        form_class, initial = LinkForm, {"title": material.title, "url": material.url}
    else:
        form_class, initial = TitleForm, {"title": material.title}
    form = form_class(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.material_update(
                material=material,
                title=form.cleaned_data["title"],
                url=form.cleaned_data.get("url"),
                notes=form.cleaned_data.get("notes"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Material saved.")
            return redirect(_back(material.session))
    return render(
        request,
        "library/material_edit.html",
        {"form": form, "material": material, "session": material.session, "nav": "sessions"},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def material_delete(request: HttpRequest, pk: int) -> HttpResponse:
    material = _editable_material(request, pk)
    if request.method == "POST":
        session = material.session
        services.material_delete(material=material)
        messages.success(request, f"“{material.title}” deleted.")
        return redirect(_back(session))
    return render(
        request,
        "library/material_delete.html",
        {"material": material, "session": material.session, "nav": "sessions"},
    )


# -- media ---------------------------------------------------------------------------------------

_RANGE_SPEC = re.compile(r"(\d*)\s*-\s*(\d*)")
# 19 digits hold any file size; longer numbers are only checked for being beyond the file.
_MAX_DIGITS = 19


# Stored names nginx may be handed as they are (see _handed_to_proxy).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


class Unsatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte range ``(first, last)`` a ``Range`` header asks for, or None for all.

    ``bytes=a-b``, open-ended ``bytes=a-`` and suffix ``bytes=-n`` are understood. A header that
    is not a valid bytes range is ignored (the whole file is sent, as RFC 9110 allows); of a
    multi-range request only the first range is answered. Raises ``Unsatisfiable`` when the range
    lies beyond the file (then the answer is 416).
    """
    unit, _, ranges = header.strip().partition("=")
    if unit.strip().lower() != "bytes":
        return None
    match = _RANGE_SPEC.fullmatch(ranges.split(",", 1)[0].strip())
    if not match or not (match[1] or match[2]):
        return None
    first_text, last_text = match[1], match[2]
    if not first_text:  # a suffix: the last n bytes
        suffix = int(last_text[: _MAX_DIGITS + 1])
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(size - suffix, 0), size - 1
    if len(first_text) > _MAX_DIGITS:
        raise Unsatisfiable
    first = int(first_text)
    if last_text and len(last_text) <= _MAX_DIGITS and int(last_text) < first:
        return None  # invalid: ignored
    if first >= size:
        raise Unsatisfiable
    last = int(last_text) if last_text and len(last_text) <= _MAX_DIGITS else size - 1
    return first, min(last, size - 1)


def _chunks(file, first: int, length: int):
    """The bytes ``first .. first + length`` of ``file``, a chunk at a time; closes the file."""
    try:
        file.seek(first)
        remaining = length
        while remaining > 0:
            data = file.read(min(MEDIA_CHUNK_SIZE, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        file.close()


@require_http_methods(["GET", "HEAD"])
@xframe_options_sameorigin
# Our own pages may frame a PDF; Chromium's PDF viewer embeds the document in itself.
@csp_override({**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF], "object-src": [CSP.SELF]})
def material_media(request: HttpRequest, pk: int, name: str = "") -> HttpResponse:
    """A material's file, with HTTP Range support so that ``<video>`` can seek.

    The permission is checked on every request (every range a player fetches): a material of a
    session the viewer may not see is a 404, the same as a missing one. Video, audio and PDF are
    ``inline`` (shown in the page; the PDF may be framed by our own pages); other files are
    ``attachment``, as is everything with ``?download=1``.
    """
    material = selectors.material_for_media(person=request.user, pk=pk)
    if material is None:
        raise Http404
    handed_over = _handed_to_proxy(request, material)
    if handed_over is not None:
        return handed_over
    storage, stored = material.file.storage, material.file.name
    try:
        size = storage.size(stored)
    except (OSError, NotImplementedError) as exc:
        raise Http404 from exc
    etag = f'"m{material.pk}-{size}-{int(material.updated_at.timestamp())}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
        response["ETag"] = etag
        return response

    byte_range = None
    if_range = request.headers.get("If-Range")
    if if_range is None or if_range == etag:
        try:
            byte_range = parse_range(request.headers.get("Range", ""), size)
        except Unsatisfiable:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            response["Accept-Ranges"] = "bytes"
            return response

    first, last = byte_range if byte_range else (0, size - 1)
    length = max(last - first + 1, 0)
    if request.method == "HEAD" or length == 0:
        response = StreamingHttpResponse(iter(()))
    else:
        try:
            file = storage.open(stored, "rb")
        except OSError as exc:
            raise Http404 from exc
        response = StreamingHttpResponse(_chunks(file, first, length))
    if byte_range:
        response.status_code = 206
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    _describe(response, request, material)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(material.updated_at.timestamp())
    return response


def _describe(response: HttpResponse, request: HttpRequest, material: Material) -> None:
    """The headers of a material's file that do not depend on who sends the bytes."""
    response["Content-Type"] = selectors.material_served_type(material)
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    inline = selectors.material_is_inline(material) and not request.GET.get("download")
    disposition = content_disposition_header(not inline, material.filename or "material")
    if disposition:
        response["Content-Disposition"] = disposition


def _handed_to_proxy(request: HttpRequest, material: Material) -> HttpResponse | None:
    """With ``KSHARE_MEDIA_ACCEL_REDIRECT`` set, an empty answer telling nginx to send the file.

    The permission was checked by the caller; nginx serves the file from its ``internal``
    location (``X-Accel-Redirect``), Range requests and all, so no Python thread is held for the
    minutes a recording plays. None (kshare streams the file itself) when the setting is unset,
    the storage is not the local file system, or the stored name is not plain ASCII (nginx takes
    the header's bytes as the path, without decoding).
    """
    prefix = settings.KSHARE_MEDIA_ACCEL_REDIRECT
    stored = material.file.name
    if not prefix or not isinstance(material.file.storage, FileSystemStorage):
        return None
    if not _PLAIN_NAME.fullmatch(stored) or ".." in stored:
        return None
    response = HttpResponse()
    _describe(response, request, material)
    response["X-Accel-Redirect"] = prefix + stored
    return response
