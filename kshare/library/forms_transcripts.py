"""The transcript form: a WebVTT or SRT file, or pasted text; parsed while it is validated."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from kshare.library import transcripts

PASTE_MAX_CHARS = 200_000
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}$")


class TranscriptForm(forms.Form):
    file = forms.FileField(
        label="WebVTT or SRT file",
        required=False,
        help_text=(
            f"A .vtt or .srt file, UTF-8, up to {transcripts.MAX_BYTES // 1024 // 1024} MB. "
            "Its cues are shown beside the recording and can be clicked to jump there."
        ),
        widget=forms.FileInput(attrs={"accept": ".vtt,.srt,text/vtt"}),
    )
    text = forms.CharField(
        label="Or paste the text",
        required=False,
        strip=False,
        help_text=(
            "Plain text without times: each paragraph (separated by a blank line) becomes one "
            "line of the transcript. Pasted WebVTT or SRT keeps its times."
        ),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": str(PASTE_MAX_CHARS)}),
    )
    language = forms.CharField(
        label="Language",
        required=False,
        max_length=20,
        help_text="A language tag such as en, de or pt-BR.",
        error_messages={"max_length": "Use a short language tag such as en, de or pt-BR."},
    )

    def __init__(self, *args, too_large: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Set when the upload handler dropped a file for its size (see views_transcripts).
        self.too_large = too_large

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if len(text) > PASTE_MAX_CHARS:
            raise ValidationError(
                f"Keep the pasted text to {PASTE_MAX_CHARS:,} characters or fewer (you pasted "
                f"{len(text):,}); upload a file for longer transcripts."
            )
        return text

    def clean_language(self) -> str:
        language = self.cleaned_data["language"].strip()
        if language and not LANGUAGE_PATTERN.match(language):
            raise ValidationError("Use a language tag such as en, de or pt-BR.")
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
                "Upload a file or paste text, not both: which one should be the transcript?"
            )
        if upload:
            if upload.size > transcripts.MAX_BYTES:
                self.add_error(
                    "file",
                    f"The file is {upload.size / 1024 / 1024:.1f} MB; transcripts can be at most "
                    f"{transcripts.MAX_BYTES // 1024 // 1024} MB.",
                )
                return cleaned
            data = b"".join(upload.chunks())
            try:
                cleaned["parsed"] = transcripts.parse_file(data, upload.name or "")
            except transcripts.TranscriptError as problem:
                self.add_error("file", f"{upload.name}: {problem}")
        elif text.strip():
            try:
                cleaned["parsed"] = transcripts.parse_text(text)
            except transcripts.TranscriptError as problem:
                self.add_error("text", str(problem))
        else:
            raise ValidationError("Choose a WebVTT or SRT file, or paste the transcript's text.")
        return cleaned
