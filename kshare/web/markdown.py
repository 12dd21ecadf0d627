"""Markdown to safe HTML: CommonMark (markdown-it-py), then sanitised with nh3 (ammonia)."""

from __future__ import annotations

import functools

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}


# Pages render the same abstracts and notes on every visit; the output is a pure function of
# the text, so it is kept per process for texts up to this length (1,024 texts of 20 kB at most).
CACHED_TEXT_MAX = 20_000


def _render(text: str) -> str:
    html = _md.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


_render_cached = functools.lru_cache(maxsize=1024)(_render)


def render_markdown(text: str) -> SafeString:
    """Render Markdown; raw HTML in the source is escaped, and the output is sanitised again."""
    text = text or ""
    clean = _render_cached(text) if len(text) <= CACHED_TEXT_MAX else _render(text)
    return mark_safe(clean)  # noqa: S308 — sanitised by nh3 in _render
