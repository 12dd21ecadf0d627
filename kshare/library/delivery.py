"""How a stored material file reaches the viewer: the one place that decides it.

``material_media`` (``views``) checks the permission on every request, then hands the material
to ``media_response``, which answers according to ``settings.KSHARE_MEDIA_DELIVERY``:

* ``stream`` — kshare reads the file from the storage (the disk, or a bucket range by range)
  and sends it, answering HTTP ``Range`` (206/416), ``If-None-Match`` and ``If-Range`` itself;
* ``redirect`` — a bucket: a 302 to a signed URL valid ``KSHARE_MEDIA_S3_URL_SECONDS``; the
  bucket answers the ranges, and kshare's headers (type, inline or attachment) are part of the
  signed request. The redirect itself is never cached, so each page load checks again.

On the local disk, ``KSHARE_MEDIA_ACCEL_REDIRECT`` hands the sending to nginx instead of
streaming (``X-Accel-Redirect``, see ``_handed_to_proxy``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header, http_date

from kshare.library import selectors
from kshare.library.models import Material

MEDIA_CHUNK_SIZE = 256 * 1024

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


def _chunks(file, first: int, length: int) -> Iterator[bytes]:
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


def _read(storage, name: str, first: int, last: int) -> Iterator[bytes]:
    """The stored bytes ``first .. last``: a ranged read where the storage has one (a bucket),
    else the file opened and read from ``first``."""
    read_range = getattr(storage, "read_range", None)
    if read_range is not None:
        return read_range(name, first=first, last=last, chunk_size=MEDIA_CHUNK_SIZE)
    try:
        file = storage.open(name, "rb")
    except OSError as exc:
        raise Http404 from exc
    return _chunks(file, first, last - first + 1)


def _disposition(request: HttpRequest, material: Material) -> str | None:
    inline = selectors.material_is_inline(material) and not request.GET.get("download")
    return content_disposition_header(not inline, material.filename or "material")


def media_response(request: HttpRequest, material: Material) -> HttpResponse:
    """The answer to a request for ``material``'s file; the caller has checked the permission."""
    if settings.KSHARE_MEDIA_DELIVERY == "redirect":
        return _redirect(request, material)
    handed_over = _handed_to_proxy(request, material)
    if handed_over is not None:
        return handed_over
    return _stream(request, material)


def _describe(response: HttpResponse, request: HttpRequest, material: Material) -> None:
    """The headers of a material's file that do not depend on who sends the bytes."""
    response["Content-Type"] = selectors.material_served_type(material)
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    disposition = _disposition(request, material)
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


def _redirect(request: HttpRequest, material: Material) -> HttpResponse:
    url = material.file.storage.signed_url(
        material.file.name,
        content_type=selectors.material_served_type(material),
        disposition=_disposition(request, material) or "inline",
    )
    response = HttpResponse(status=302)
    response["Location"] = url
    # Every page load asks kshare again (and so checks the permission again).
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _stream(request: HttpRequest, material: Material) -> HttpResponse:
    storage, stored = material.file.storage, material.file.name
    try:
        size = storage.size(stored)
    except (OSError, NotImplementedError) as exc:
        raise Http404 from exc
    except Exception as exc:  # a bucket's "not found" is a botocore ClientError
        if _is_missing(exc):
            raise Http404 from exc
        raise
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
        response = StreamingHttpResponse(_read(storage, stored, first, last))
    if byte_range:
        response.status_code = 206
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    _describe(response, request, material)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(material.updated_at.timestamp())
    return response


def _is_missing(exc: Exception) -> bool:
    answer = getattr(exc, "response", None)
    if not isinstance(answer, dict):
        return False
    status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 404 or answer.get("Error", {}).get("Code") in ("404", "NoSuchKey")
