"""Find words in templates that do not go through Django's translation machinery.

    python scripts/check_translations.py [PATH …]      (default: every template under kshare/)

Prints ``file:line: text`` for each piece of visible text (element content, and the
``aria-label``/``title``/``alt``/``placeholder`` attributes, and the ``value`` of buttons) that is
outside ``{% translate %}``/``{% blocktranslate %}``; exits 1 when there is any. Template
variables, tags and comments are not text; nor are ``<script>``, ``<style>``, ``<code>``,
``<kbd>``, ``<samp>`` and ``<pre>`` contents (commands and code stay as they are), nor the
words in ``UNTRANSLATED`` (names that read the same in every language). Standard library and
Django only; the test ``kshare/web/tests/test_translations.py`` runs it over every template.
"""

from __future__ import annotations

import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Names and abbreviations that are the same in English, German and French.
UNTRANSLATED = {
    "kshare",
    "api",
    "csv",
    "ics",
    "ical",
    "icalendar",
    "json",
    "url",
    "urls",
    "rss",
    "slack",
    "mattermost",
    "microsoft",
    "teams",
    "google",
    "chat",
    "sso",
    "oidc",
    "openid",
    "connect",
    "rsvp",
    "ok",
    "id",
    "utc",
    "smtp",
    "https",
    "http",
    "webhook",
    "webhooks",
    "htmx",
    "pdf",
    "mp4",
    "webm",
    "vtt",
    "srt",
    "s3",
    "am",
    "pm",
    "h",
    "min",
    "x",
    "e",
    "g",
}

TEXT_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "aria-description"}
SKIPPED_ELEMENTS = {"script", "style", "code", "kbd", "samp", "pre"}
PLACEHOLDER = "\x00"

_BLOCK = re.compile(
    r"{%-?\s*(blocktranslate|blocktrans)\b.*?{%-?\s*(endblocktranslate|endblocktrans)\s*-?%}",
    re.DOTALL,
)
_COMMENT_BLOCK = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.DOTALL)
_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
_TAG = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _blank(match: re.Match[str]) -> str:
    """The same number of newlines, so line numbers stay right."""
    return PLACEHOLDER + "\n" * match.group(0).count("\n")


def _strip(match: re.Match[str]) -> str:
    return "\n" * match.group(0).count("\n")


def neutral(source: str) -> str:
    """The template with comments removed and every translated block, tag and variable
    replaced by a placeholder."""
    source = _COMMENT_BLOCK.sub(_strip, source)
    source = _COMMENT.sub(_strip, source)
    source = _BLOCK.sub(_blank, source)
    source = _TAG.sub(_blank, source)
    return _HTML_COMMENT.sub(_strip, source)


def is_words(text: str) -> bool:
    """Whether ``text`` holds a word a reader of another language needs translated."""
    text = html.unescape(text.replace(PLACEHOLDER, " "))
    return any(word.lower() not in UNTRANSLATED for word in _WORD.findall(text))


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self.skipping.append(tag)
        values = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs:
            if value and name in TEXT_ATTRIBUTES and is_words(value):
                self.found.append((line, f'{name}="{value.strip()}"'))
        if (
            tag == "input"
            and values.get("type") in {"submit", "button", "reset"}
            and values.get("value")
            and is_words(values["value"] or "")
        ):
            self.found.append((line, f'value="{values["value"]}"'))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED_ELEMENTS and self.skipping:
            self.skipping.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping and is_words(data):
            leading = data[: len(data) - len(data.lstrip())]
            line = self.getpos()[0] + leading.count("\n")
            self.found.append((line, " ".join(data.replace(PLACEHOLDER, "…").split())))


def untranslated(path: Path) -> list[tuple[int, str]]:
    """``(line, text)`` for each piece of text in the template at ``path`` not marked."""
    finder = _Finder()
    finder.feed(neutral(path.read_text(encoding="utf-8")))
    finder.close()
    return finder.found


def templates(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
            continue
        for candidate in sorted(path.rglob("*")):
            if (
                candidate.is_file()
                and "templates" in candidate.parts
                and candidate.suffix
                in {
                    ".html",
                    ".txt",
                }
            ):
                found.append(candidate)
    return found


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or [ROOT / "kshare"]
    problems = 0
    for path in templates(paths):
        for line, text in untranslated(path):
            problems += 1
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"{shown}:{line}: {text}")
    if problems:
        print(f"{problems} piece(s) of text not marked for translation.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
