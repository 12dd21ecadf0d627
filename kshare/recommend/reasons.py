"""The reasons shown beside a recommendation ("matches your skill: pandas"), written once.

The trainer stores each person's reasons in English (``Recommendation.reason``: it runs in a
worker, for everyone at once, in nobody's language), built from the templates below;
``reason_shown`` reads a stored reason back in the reader's language by matching it against the
same templates (a reason that matches none is shown as stored). Reasons computed while a page
is rendered are translated where they are made (``gettext`` of the same templates).
"""

from __future__ import annotations

import re

from django.utils.formats import get_format
from django.utils.translation import gettext, gettext_noop

SKILL = gettext_noop("matches your skill: %(name)s")
INTEREST = gettext_noop("matches your interest: %(name)s")
RATED = gettext_noop("you rated '%(title)s' %(rating)s/5")
ATTENDED = gettext_noop("similar to '%(title)s' you attended")
STARRED = gettext_noop("similar to '%(title)s' you starred")
WATCHED = gettext_noop("similar to '%(title)s' you watched")
HOSTED = gettext_noop("close to '%(title)s', which you hosted")
SIGNED_UP = gettext_noop("similar to '%(title)s' you signed up for")
POPULAR_IN_TEAM = gettext_noop("popular in your team")
POPULAR = gettext_noop("popular right now")

STORED = (
    SKILL,
    INTEREST,
    RATED,
    ATTENDED,
    STARRED,
    WATCHED,
    HOSTED,
    SIGNED_UP,
    POPULAR_IN_TEAM,
    POPULAR,
)

# A skill's level as a reason names it.
LEVELS = {1: gettext_noop("basic"), 2: gettext_noop("working"), 3: gettext_noop("expert")}
DECLARED = gettext_noop("declared")


def _pattern(template: str) -> re.Pattern[str]:
    escaped = re.escape(template)
    return re.compile(re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+?)", escaped))


_PATTERNS = [(_pattern(template), template) for template in STORED]


def reason_stored(template: str, **values: object) -> str:
    """A reason in English, as the trainer stores it."""
    return template % values


def reason_shown(text: str) -> str:
    """A stored (English) reason in the reader's language."""
    for pattern, template in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return gettext(template) % match.groupdict()
    return text


def level_shown(level: int) -> str:
    """A skill level's word ("expert") in the reader's language."""
    return gettext(LEVELS.get(level, DECLARED))


def one_decimal(value: float) -> str:
    """``4.5``, with the reader's decimal separator (``4,5`` in German)."""
    return f"{value:.1f}".replace(".", str(get_format("DECIMAL_SEPARATOR")))
