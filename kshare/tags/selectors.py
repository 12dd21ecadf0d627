"""Reads of the tag vocabulary."""

from __future__ import annotations

import re

from kshare.tags.models import Tag

# A tag name found in a text: not inside a longer word ("go" is not in "django"); a plural
# "s" still counts ("data frames" for the tag "data frame").
_EDGE_BEFORE = r"(?<![\w+#.-])"
_EDGE_AFTER = r"s?(?![\w+#])"


def tags_in_text(*, text: str, limit: int = 10) -> list[Tag]:
    """Existing tags whose name appears in ``text`` (a title and an abstract), most mentioned
    first, then the longer (more specific) name, then by name. One query: the vocabulary is a
    few thousand short names at most, matched in Python so both databases agree."""
    folded = " ".join(text.casefold().split())
    if not folded:
        return []
    found: list[tuple[int, int, str, Tag]] = []
    for tag in Tag.objects.only("pk", "name", "slug"):
        name = " ".join(tag.name.casefold().split())
        if len(name) < 2 or name not in folded:
            continue
        hits = len(re.findall(_EDGE_BEFORE + re.escape(name) + _EDGE_AFTER, folded))
        if hits:
            found.append((-hits, -len(name), name, tag))
    found.sort(key=lambda row: row[:3])
    return [tag for *_, tag in found[:limit]]
