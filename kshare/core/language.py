"""The one place that knows which languages kshare speaks and how to speak to someone.

Pages: ``LocaleMiddleware`` picks the cookie or Accept-Language, then
``kshare.people.middleware.PersonLanguageMiddleware`` applies a signed-in person's choice.
Mail and chat: whatever builds a message for a person renders it inside
``speaking(person.mail_language)``, so each recipient reads their own language whatever the
language of the request or worker that sends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def is_supported(code: str) -> bool:
    return code in language_codes()


def language_or_default(code: str | None) -> str:
    """``code`` when kshare speaks it, else the installation's ``LANGUAGE_CODE``."""
    return code if code and is_supported(code) else settings.LANGUAGE_CODE


def language_choices(*, blank: str | None = None) -> list[tuple[str, str]]:
    """The languages, each named in itself (a German reader looking for "Deutsch" finds it);
    ``blank`` labels a first "no choice" entry."""
    choices = [(code, name) for code, name in settings.LANGUAGES]
    return [("", blank), *choices] if blank is not None else choices


@contextmanager
def speaking(code: str | None) -> Iterator[str]:
    """Render inside the given language (falling back to the installation's)."""
    chosen = language_or_default(code)
    with translation.override(chosen):
        yield chosen
