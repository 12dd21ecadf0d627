from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from kshare.core.bodylimit import request_body_max
from kshare.library import selectors, services
from kshare.library.delivery import media_response
from kshare.library.forms import FileMaterialForm, LinkForm, NotesForm, TitleForm
from kshare.library.models import Material
from kshare.library.services_transcripts import materials_with_transcripts
from kshare.library.transcription import materials_with_transcriptions
from kshare.library.uploads import MaterialUploadHandler
from kshare.sessions import selectors as session_selectors
from kshare.sessions.models import Session

# The multipart framing and text fields around an uploaded file.
UPLOAD_FORM_ALLOWANCE = 1024 * 1024
# The "Add …" button of each kind (the session page, the form's heading).
ADD_LABELS = {
    Material.Kind.RECORDING: gettext_lazy("Add a recording"),
    Material.Kind.SLIDES: gettext_lazy("Add slides"),
    Material.Kind.NOTES: gettext_lazy("Add notes"),
    Material.Kind.LINK: gettext_lazy("Add a link"),
}
# The add form's page title.
ADD_TITLES = {
    Material.Kind.RECORDING: gettext_lazy("Add a recording to %(session)s"),
    Material.Kind.SLIDES: gettext_lazy("Add slides to %(session)s"),
    Material.Kind.NOTES: gettext_lazy("Add notes to %(session)s"),
    Material.Kind.LINK: gettext_lazy("Add a link to %(session)s"),
}


def materials_context(request: HttpRequest, session: Session, *, can_edit: bool) -> dict:
    """What ``library/_session_materials.html`` needs on a session page.

    A constant number of queries: the materials with their transcription jobs (joined), and
    (when there are any) the recordings' transcripts and cues in one prefetch each.
    """
    materials = list(
        materials_with_transcriptions(
            materials_with_transcripts(selectors.materials_of_session(session=session))
        )
    )
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
        "material_kinds": list(ADD_LABELS.items()),
    }


def _editable_session(request: HttpRequest, pk: int) -> Session:
    session = session_selectors.session_detail(person=request.user, pk=pk)
    if session is None:
        raise Http404  # invisible and missing look the same
    if not session_selectors.session_can_edit(person=request.user, session=session):
        raise PermissionDenied(
            _("Only the session's hosts, its programme's organisers and admins can add materials.")
        )
    return session


def _editable_material(request: HttpRequest, pk: int) -> Material:
    material = selectors.material_for_viewer(person=request.user, pk=pk)
    if material is None:
        raise Http404
    if not selectors.material_can_edit(person=request.user, material=material):
        raise PermissionDenied(
            _(
                "Only the session's hosts, its programme's organisers and admins can change "
                "materials."
            )
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
            messages.success(request, _("Material added."))
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
            "add_label": ADD_LABELS[kind],
            "add_title": ADD_TITLES[kind] % {"session": session.title},
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
            messages.success(request, _("Material saved."))
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
        messages.success(request, _("“%(title)s” deleted.") % {"title": material.title})
        return redirect(_back(session))
    return render(
        request,
        "library/material_delete.html",
        {"material": material, "session": material.session, "nav": "sessions"},
    )


# -- media ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@xframe_options_sameorigin
# Our own pages may frame a PDF; Chromium's PDF viewer embeds the document in itself.
@csp_override({**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF], "object-src": [CSP.SELF]})
def material_media(request: HttpRequest, pk: int, name: str = "") -> HttpResponse:
    """A material's file, with HTTP Range support so that ``<video>`` can seek.

    The permission is checked on every request (every range a player fetches from kshare): a
    material of a session the viewer may not see is a 404, the same as a missing one. How the
    file is then sent (streamed, or a redirect to a signed URL of a bucket) is ``delivery``'s
    decision. Video, audio and PDF are ``inline`` (shown in the page; the PDF may be framed by
    our own pages); other files are ``attachment``, as is everything with ``?download=1``.
    """
    material = selectors.material_for_media(person=request.user, pk=pk)
    if material is None:
        raise Http404
    return media_response(request, material)
