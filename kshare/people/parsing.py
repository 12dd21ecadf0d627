"""Plain parsers shared by the profile form and the CSV import: timezones and skill lists."""

from __future__ import annotations

import functools
import zoneinfo

from django.utils.translation import gettext as _

from kshare.tags.services import MAX_TAG_LENGTH, tag_slug

SKILL_LEVELS = (1, 2, 3)
DEFAULT_SKILL_LEVEL = 2


class SkillsError(ValueError):
    """A skill list cannot be read; the message says which item and why."""


@functools.cache
def timezone_names() -> tuple[str, ...]:
    """IANA zone names people can choose, sorted (no ``posix/``, ``right/`` or ``Factory``)."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if not name.startswith(("posix/", "right/"))
        and name not in {"Factory", "localtime", "posixrules"}
    }
    names.add("UTC")
    return tuple(sorted(names))


def timezone_is_known(name: str) -> bool:
    return name in _timezone_set()


@functools.cache
def _timezone_set() -> frozenset[str]:
    return frozenset(timezone_names())


def skills_parse(raw: str) -> list[tuple[str, int]]:
    """Read "python: 3; sql: 2" or one "name: level" per line; a missing level means 2.

    Raises ``SkillsError`` for a level other than 1, 2 or 3, an over-long or empty name, or a
    skill listed twice (case-insensitively).
    """
    skills: list[tuple[str, int]] = []
    seen: set[str] = set()
    for item in raw.replace("\r", "\n").replace(";", "\n").split("\n"):
        item = item.strip()
        if not item:
            continue
        name, sep, level_text = item.rpartition(":")
        if not sep:
            name, level_text = item, ""
        name = " ".join(name.split())
        level_text = level_text.strip()
        if not name:
            raise SkillsError(_("“%(item)s” has no skill name before the colon.") % {"item": item})
        if len(name) > MAX_TAG_LENGTH:
            raise SkillsError(
                _("the skill “%(name)s…” is longer than %(max)s characters.")
                % {"name": name[:20], "max": MAX_TAG_LENGTH}
            )
        slug = tag_slug(name)
        if not slug:
            raise SkillsError(
                _("the skill “%(name)s” needs at least one letter or digit.") % {"name": name}
            )
        if level_text:
            if level_text not in {str(level) for level in SKILL_LEVELS}:
                raise SkillsError(
                    _(
                        "the level of “%(name)s” must be 1, 2 or 3 (1 basic, 2 working, "
                        "3 expert); got “%(level)s”."
                    )
                    % {"name": name, "level": level_text[:10]}
                )
            level = int(level_text)
        else:
            level = DEFAULT_SKILL_LEVEL
        if slug in seen:
            raise SkillsError(_("“%(name)s” is listed twice.") % {"name": name})
        seen.add(slug)
        skills.append((name, level))
    return skills


def skills_format(skills: list[tuple[str, int]]) -> str:
    """The text ``skills_parse`` reads back: one "name: level" per line."""
    return "\n".join(f"{name}: {level}" for name, level in skills)
