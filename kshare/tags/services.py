from __future__ import annotations

from collections.abc import Iterable

from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.tags.models import Tag

MAX_TAG_LENGTH = 60


class TagError(ValueError):
    pass


def tag_slug(name: str) -> str:
    """A URL slug that keeps "C++", "C#" and "C" apart."""
    spelled = name.replace("+", " plus ").replace("#", " sharp ")
    return slugify(spelled)[:MAX_TAG_LENGTH]


def tag_names_parse(raw: str) -> list[str]:
    """Split "python, Data science; sql" into clean, de-duplicated names (case-insensitive)."""
    return tag_names_clean(raw.split(","))


def tag_names_clean(names_given: Iterable[str]) -> list[str]:
    """Clean, de-duplicated names (case-insensitive) from a list of names; a semicolon separates
    names as in the forms' text ("python; sql" is two), blank names are left out."""
    names: list[str] = []
    seen: set[str] = set()  # slugs
    for part in (piece for given in names_given for piece in given.split(";")):
        name = " ".join(part.split())
        if not name:
            continue
        if len(name) > MAX_TAG_LENGTH:
            raise TagError(
                _("The tag “%(name)s…” is longer than %(count)d characters.")
                % {"name": name[:20], "count": MAX_TAG_LENGTH}
            )
        if not tag_slug(name):
            raise TagError(
                _("The tag “%(name)s” needs at least one letter or digit.") % {"name": name}
            )
        if tag_slug(name) not in seen:
            seen.add(tag_slug(name))
            names.append(name)
    return names


def tag_names_check(names_given: Iterable[str], *, most: int) -> list[str]:
    """``tag_names_clean``, and at most ``most`` names (``TagError`` otherwise): the tags rule of
    every input that takes tags."""
    names = tag_names_clean(names_given)
    if len(names) > most:
        raise TagError(
            ngettext("Use at most %(count)d tag.", "Use at most %(count)d tags.", most)
            % {"count": most}
        )
    return names


def tags_get_or_create(*, names: Iterable[str]) -> list[Tag]:
    """The tags for ``names`` in the given order, creating missing ones in one bulk insert."""
    wanted = list(dict.fromkeys(names))
    slugs = {name: tag_slug(name) for name in wanted}
    existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs.values())}
    missing = {
        slug: Tag(name=name, slug=slug) for name, slug in slugs.items() if slug not in existing
    }
    if missing:
        Tag.objects.bulk_create(missing.values(), ignore_conflicts=True)
        existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs.values())}
    return [existing[slugs[name]] for name in wanted]
