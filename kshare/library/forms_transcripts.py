"""The transcript form: a WebVTT or SRT file, or pasted text; parsed while it is validated."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kshare.library import transcripts

PASTE_MAX_CHARS = 200_000
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}$")
# A translated text with its numbers filled in when it is shown (in the reader's language).
_interpolate = lazy(lambda text, params: str(text) % params, str)


def _problem(problem: transcripts.TranscriptError) -> str:
    """The parser's sentence in the active language, with its line number."""
    text = _(problem.template)
    if problem.params:
        text = text % problem.params
    if problem.line is None:
        return text
    return _("Line %(line)s: %(problem)s") % {"line": problem.line, "problem": text}


class TranscriptForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("WebVTT or SRT file"),
        required=False,
        help_text=_interpolate(
            gettext_lazy(
                "A .vtt or .srt file, UTF-8, up to %(limit)s MB. "
                "Its cues are shown beside the recording and can be clicked to jump there."
            ),
            {"limit": transcripts.MAX_BYTES // 1024 // 1024},
        ),
        widget=forms.FileInput(attrs={"accept": ".vtt,.srt,text/vtt"}),
    )
    text = forms.CharField(
        label=gettext_lazy("Or paste the text"),
        required=False,
        strip=False,
        help_text=gettext_lazy(
            "Plain text without times: each paragraph (separated by a blank line) becomes one "
            "line of the transcript. Pasted WebVTT or SRT keeps its times."
        ),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": str(PASTE_MAX_CHARS)}),
    )
    language = forms.CharField(
        label=gettext_lazy("Language"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("A language tag such as en, de or pt-BR."),
        error_messages={
            "max_length": gettext_lazy("Use a short language tag such as en, de or pt-BR.")
        },
    )

    def __init__(self, *args, too_large: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Set when the upload handler dropped a file for its size (see views_transcripts).
        self.too_large = too_large

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if len(text) > PASTE_MAX_CHARS:
            raise ValidationError(
                _(
                    "Keep the pasted text to %(limit)s characters or fewer (you pasted "
                    "%(count)s); upload a file for longer transcripts."
                )
                % {"limit": f"{PASTE_MAX_CHARS:,}", "count": f"{len(text):,}"}
            )
        return text

    def clean_language(self) -> str:
        language = self.cleaned_data["language"].strip()
        if language and not LANGUAGE_PATTERN.match(language):
            raise ValidationError(_("Use a language tag such as en, de or pt-BR."))
        return language

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        upload = cleaned.get("file")
        text = cleaned.get("text") or ""
        if self.errors:
            return cleaned
        if self.too_large:
            self.add_error("file", self.too_large)
            return cleaned
        if upload and text.strip():
            raise ValidationError(
                _("Upload a file or paste text, not both: which one should be the transcript?")
            )
        if upload:
            if upload.size > transcripts.MAX_BYTES:
                self.add_error(
                    "file",
                    _("The file is %(size)s MB; transcripts can be at most %(limit)s MB.")
                    % {
                        "size": f"{upload.size / 1024 / 1024:.1f}",
                        "limit": transcripts.MAX_BYTES // 1024 // 1024,
                    },
                )
                return cleaned
            data = b"".join(upload.chunks())
            try:
                cleaned["parsed"] = transcripts.parse_file(data, upload.name or "")
            except transcripts.TranscriptError as problem:
                self.add_error("file", f"{upload.name}: {_problem(problem)}")
        elif text.strip():
            try:
                cleaned["parsed"] = transcripts.parse_text(text)
            except transcripts.TranscriptError as problem:
                self.add_error("text", _problem(problem))
        else:
            raise ValidationError(_("Choose a WebVTT or SRT file, or paste the transcript's text."))
        return cleaned
