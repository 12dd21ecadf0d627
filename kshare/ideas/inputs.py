"""What an idea's text may be: the typed input and its rule, written once (``IdeaForm`` and
the API's ideas router both check it; the API answers 400 ``invalid`` with the form's message)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kshare.core.inputs import InputErrors


@dataclass
class IdeaInput:
    title: str = ""
    description: str = ""


def idea_input_check(data: IdeaInput, *, skip: Collection[str] = ()) -> IdeaInput:
    """``data`` with its title's spaces collapsed and the description stripped, or
    ``InputError``. ``skip`` names fields the caller refused already."""
    errors = InputErrors()
    title = " ".join(data.title.split())
    if "title" not in skip and not title:
        errors.add("title", _("Give the idea a title."))
    errors.raise_any()
    return IdeaInput(title=title, description=data.description.strip())
