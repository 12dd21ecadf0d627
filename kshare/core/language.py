"""The one place that knows which languages kshare speaks and how to speak to someone.

Pages: ``LocaleMiddleware`` picks the cookie or Accept-Language, then
``kshare.people.middleware.PersonLanguageMiddleware`` applies a signed-in person's choice.
Mail: a function that writes to people is decorated with ``keeps_language`` and calls
``speak_to(person)`` before it renders each person's subject and body, so each recipient reads
their own language whatever the language of the request or worker that sends it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, tzinfo

from django.conf import settings
from django.utils import dateformat, translation
from django.utils.translation import gettext, pgettext


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


def keeps_language[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Decorator for a function that writes to people in their own language with
    ``speak_to``: whatever language it switches to, its caller's language is back when it
    returns or raises (a request or worker is never left speaking a recipient's language)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        before = translation.get_language()
        try:
            return func(*args, **kwargs)
        finally:
            if before is None:
                translation.deactivate_all()
            else:
                translation.activate(before)

    return wrapper


def speak_to(recipient: object) -> str:
    """Switch to the language ``recipient`` reads mail in (its ``mail_language``; the
    installation's LANGUAGE_CODE when it has none); only inside a ``keeps_language`` function.
    Returns the language chosen."""
    chosen = language_or_default(getattr(recipient, "mail_language", None))
    translation.activate(chosen)
    return chosen


def when(moment: datetime, tz: tzinfo, *, time: bool = True) -> str:
    """``moment`` in ``tz`` as the active language writes a day (and time): "Monday 7 December
    2026, 14:00", "Montag, 7. Dezember 2026, 14:00", "lundi 7 décembre 2026, 14:00". The
    formats are Django date format strings translated in core's catalogue."""
    if time:
        format = pgettext("date and time, Django date format", "l j F Y, H:i")
    else:
        format = pgettext("date, Django date format", "l j F Y")
    return dateformat.format(moment.astimezone(tz), format)


def error_text(exc: BaseException) -> str:
    """The message of ``exc`` in the active language.

    The plain-Python modules (``kshare.core.recurrence``, ``kshare.core.timezones``) import no
    Django: their errors carry the English template (``message``, extracted by makemessages from
    their ``gettext_noop`` calls) and its ``params``, and are translated here, where a person
    reads them; a day among the params is written the active language's way ("29 March 2026",
    "29. März 2026"). Any other error: ``str(exc)``."""
    message = getattr(exc, "message", None)
    params = getattr(exc, "params", None)
    if not isinstance(message, str):
        return str(exc)
    if not params:
        return gettext(message)
    day_format = pgettext("day in a sentence, Django date format", "d F Y")
    shown = {
        key: dateformat.format(value, day_format) if isinstance(value, date) else value
        for key, value in params.items()
    }
    return gettext(message) % shown
