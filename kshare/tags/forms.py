from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from kshare.tags.services import TagError, tag_names_parse


class TagsField(forms.CharField):
    """Comma-separated tag names in, a clean list of names out (at most ``max_tags``)."""

    def __init__(self, *, max_tags: int = 15, **kwargs: object) -> None:
        self.max_tags = max_tags
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 600)
        super().__init__(**kwargs)

    def clean(self, value: object) -> list[str]:
        text = super().clean(value)
        try:
            names = tag_names_parse(text)
        except TagError as exc:
            raise ValidationError(str(exc)) from exc
        if len(names) > self.max_tags:
            raise ValidationError(
                ngettext("Use at most %(count)d tag.", "Use at most %(count)d tags.", self.max_tags)
                % {"count": self.max_tags}
            )
        return names
