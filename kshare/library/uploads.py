"""Streaming material uploads: chunks go straight to a temporary file, never into memory.

``MaterialUploadHandler`` replaces Django's default upload handlers on the material upload view
only (see ``views.material_add``). It

* writes each chunk to a ``TemporaryUploadedFile`` as it arrives (so a 2 GB recording costs one
  chunk of memory, not 2 GB),
* stops writing as soon as the file passes the size limit (the rest of that file part is read
  and thrown away, so the browser gets the page with the form error instead of a reset
  connection),
* sniffs the first bytes and refuses, while streaming, a file whose start already shows the
  wrong type (a program renamed ``talk.mp4``); zip-based slide formats are told apart when the
  file is complete.

The outcome (an error message, the sniffed type) is kept on the handler for the view and form.
"""

from __future__ import annotations

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kshare.library import sniff

CHUNK_SIZE = 256 * 1024


def type_error(*, kind: str, found: sniff.Sniffed) -> str | None:
    """The error for a file of type ``found`` uploaded as a ``kind`` material, or None if fine."""
    if kind == "recording":
        if found.is_media:
            return None
        return _("This file is not a video or audio file: it looks like %(type)s.") % {
            "type": _(found.label)
        }
    if found in sniff.SLIDE_TYPES:
        return None
    return _(
        "This file is not a slide deck (PDF, PowerPoint, OpenDocument or Keynote): "
        "it looks like %(type)s."
    ) % {"type": _(found.label)}


def size_error(*, limit: int) -> str:
    return _("This file is too large: the limit is %(limit)s.") % {"limit": filesizeformat(limit)}


def head_is_wrong(*, kind: str, found: sniff.Sniffed) -> bool:
    """Whether the first bytes alone already rule the file out (zip formats need the whole file)."""
    if found is sniff.ZIP_ARCHIVE:
        return kind == "recording"
    return type_error(kind=kind, found=found) is not None


class MaterialUploadHandler(FileUploadHandler):
    """Streams the one file of a material form to disk, enforcing ``max_size`` and the type."""

    chunk_size = CHUNK_SIZE

    def __init__(self, request=None, *, kind: str, max_size: int) -> None:
        super().__init__(request)
        self.kind = kind
        self.max_size = max_size
        self.error: str | None = None
        self.sniffed: sniff.Sniffed | None = None
        # Not called ``file``: Django's parser closes ``handler.file`` blindly on errors.
        self.upload: TemporaryUploadedFile | None = None
        self.received = 0
        self.largest_chunk = 0  # for tests: what the handler ever held at once
        self._head = b""

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, *args):
        super().new_file(field_name, file_name, content_type, content_length, charset, *args)
        if self.upload is not None or self.error is not None:
            # One file per form: a second file part is not stored.
            raise SkipFile
        self.received = 0
        self._head = b""
        if content_length is not None and content_length > self.max_size:
            self.error = size_error(limit=self.max_size)
            raise SkipFile
        # The browser's content type is recorded nowhere: the sniffed one replaces it.
        self.upload = TemporaryUploadedFile(file_name, "application/octet-stream", 0, charset)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.upload is not None
        self.largest_chunk = max(self.largest_chunk, len(raw_data))
        self.received += len(raw_data)
        if self.received > self.max_size:
            self._abandon(size_error(limit=self.max_size))
        if len(self._head) < sniff.HEAD_SIZE:
            self._head += raw_data[: sniff.HEAD_SIZE - len(self._head)]
            if len(self._head) >= sniff.HEAD_SIZE:
                self._check_head()
        self.upload.write(raw_data)
        return None

    def _check_head(self) -> None:
        found = sniff.sniff_head(self._head)
        if head_is_wrong(kind=self.kind, found=found):
            self._abandon(type_error(kind=self.kind, found=found) or "")
        self.sniffed = found

    def _abandon(self, error: str) -> None:
        """Forget the file and skip the rest of it (read and thrown away, never stored)."""
        self._discard(error)
        raise SkipFile

    def _discard(self, error: str) -> None:
        self.error = error
        if self.upload is not None:
            self.upload.close()  # deletes the temporary file
            self.upload = None

    def file_complete(self, file_size: int):
        # Exceptions here would not be caught by the parser: errors are only recorded.
        if self.upload is None:
            return None
        if self.received == 0:
            self._discard(_("The file is empty."))
            return None
        self.upload.seek(0)
        found = sniff.sniff_file(self.upload)
        error = type_error(kind=self.kind, found=found)
        if error:
            self._discard(error)
            return None
        self.sniffed = found
        self.upload.size = file_size
        self.upload.content_type = found.content_type
        self.upload.sniffed = found  # type: ignore[attr-defined]
        return self.upload

    def upload_interrupted(self) -> None:
        if self.upload is not None:
            self.upload.close()
            self.upload = None
