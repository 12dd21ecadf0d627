from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kshare.library import sniff
from kshare.library.models import Material
from kshare.library.services import NOTES_MAX_LENGTH, TITLE_MAX_LENGTH
from kshare.library.uploads import size_error, type_error

# A translated message with its numbers filled in when it is shown (in the reader's language).
_interpolate = lazy(lambda text, params: str(text) % params, str)

ACCEPT = {
    Material.Kind.RECORDING: "video/*,audio/*",
    Material.Kind.SLIDES: ".pdf,.pptx,.odp,.key,application/pdf",
}


def _title_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Title"),
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": gettext_lazy("Give the material a title."),
            "max_length": _interpolate(
                gettext_lazy("Keep the title under %(limit)s characters."),
                {"limit": TITLE_MAX_LENGTH},
            ),
        },
    )


def _url_field(*, required: bool, label: str) -> forms.URLField:
    return forms.URLField(
        label=label,
        required=required,
        max_length=1000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        error_messages={
            "invalid": gettext_lazy("Enter a web address starting with http:// or https://.")
        },
    )


class CheckedFileField(forms.FileField):
    """A file field whose "required" check the form makes, after the upload handler's verdict.

    (A file the handler refused reaches the form as no file at all: "required" would hide why.)
    """

    def validate(self, value) -> None:
        pass


class MaterialTitleMixin:
    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())  # type: ignore[attr-defined]
        if not title:
            raise ValidationError(_("Give the material a title."))
        return title


class FileMaterialForm(MaterialTitleMixin, forms.Form):
    """A recording (a file, or an external link) or slides (a file).

    The upload handler has streamed, size-checked and sniffed the file already; ``upload_error``
    is its verdict. Without it (a test posting straight to the form) the checks run here.
    """

    title = _title_field()
    url = _url_field(required=False, label=gettext_lazy("Or a link to the recording"))
    file = CheckedFileField(label=gettext_lazy("File"))

    def __init__(
        self, *args, kind: str, max_size: int, upload_error: str | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.max_size = max_size
        self.upload_error = upload_error
        self.sniffed: sniff.Sniffed | None = None
        self.fields["file"].widget.attrs.update(
            {"accept": ACCEPT[kind], "data-max-bytes": str(max_size)}
        )
        limit = filesizeformat(max_size)
        if kind == Material.Kind.RECORDING:
            self.fields["file"].help_text = _(
                "A video or audio file (MP4, MOV, WebM, MKV, Ogg, MP3, WAV, M4A), up to %(limit)s."
            ) % {"limit": limit}
            self.fields["url"].help_text = _("Instead of a file: where the recording is hosted.")
            self.fields["file"].required = False
        else:
            del self.fields["url"]
            self.fields["file"].help_text = _(
                "PDF, PowerPoint, OpenDocument or Keynote, up to %(limit)s."
            ) % {"limit": limit}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.upload_error:
            raise ValidationError(self.upload_error)
        if not upload:
            # Checked here, not by ``required``: the handler's verdict comes first.
            if self.kind == Material.Kind.SLIDES:
                raise ValidationError(_("Choose the slides file."))
            return None
        if upload.size > self.max_size:
            raise ValidationError(size_error(limit=self.max_size))
        found = getattr(upload, "sniffed", None) or sniff.sniff_file(upload)
        error = type_error(kind=self.kind, found=found)
        if error:
            raise ValidationError(error)
        self.sniffed = found
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.kind == Material.Kind.RECORDING and not self.errors:
            has_file, has_url = bool(cleaned.get("file")), bool(cleaned.get("url"))
            if has_file == has_url:
                raise ValidationError(
                    _("Upload a recording file or give a link to it (one of the two).")
                )
        return cleaned


class NotesForm(MaterialTitleMixin, forms.Form):
    title = _title_field()
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=gettext_lazy("Markdown."),
        error_messages={
            "required": gettext_lazy("Write the notes."),
            "max_length": _interpolate(
                gettext_lazy("Keep the notes under %(limit)s characters."),
                {"limit": f"{NOTES_MAX_LENGTH:,}"},
            ),
        },
    )


class LinkForm(MaterialTitleMixin, forms.Form):
    title = _title_field()
    url = _url_field(required=True, label=gettext_lazy("Address"))


class TitleForm(MaterialTitleMixin, forms.Form):
    """Editing an uploaded file's material: only the title changes (replace = delete and add)."""

    title = _title_field()
