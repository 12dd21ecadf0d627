"""Every word people read goes through the translation machinery, and the catalogues are
complete: each template string is marked (scripts/check_translations.py), each app that has
strings to translate has a German and a French catalogue, every entry is translated (no
fuzzy, no empty msgstr, the same placeholders and HTML as its English), and the committed
.mo files are the compiled .po files."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[3]
KSHARE = ROOT / "kshare"
LANGUAGES = ("de", "fr")
PLURAL_FORMS = {
    "de": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
}

spec = importlib.util.spec_from_file_location(
    "check_translations", ROOT / "scripts" / "check_translations.py"
)
assert spec is not None and spec.loader is not None
checker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(checker)


def catalogues() -> list[Path]:
    return sorted(KSHARE.glob("*/locale/*/LC_MESSAGES/django.po"))


def _catalogue_ids(path: Path) -> str:
    return f"{path.parts[-5]}-{path.parts[-3]}"


# --- the checker ------------------------------------------------------------------------------


def _found(tmp_path: Path, source: str) -> list[tuple[int, str]]:
    path = tmp_path / "templates" / "t.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return checker.untranslated(path)


def test_the_checker_finds_text_and_text_attributes_outside_translate_tags(tmp_path):
    source = (
        '{% load i18n %}\n<h1>{% translate "Sessions" %}</h1>\n'
        "<p>Upcoming {{ count }} sessions</p>\n"
        '<nav aria-label="Main">{% blocktranslate trimmed with n=x.y %}Hello {{ n }}'
        "{% endblocktranslate %}</nav>\n"
        '<img alt="{% translate "Photo" %}" src="{{ url }}"><input type="submit" value="Save">\n'
        '<button title="Delete it">+</button>\n'
    )
    assert _found(tmp_path, source) == [
        (3, "Upcoming … sessions"),
        (4, 'aria-label="Main"'),
        (5, 'value="Save"'),
        (6, 'title="Delete it"'),
    ]


def test_the_checker_leaves_code_comments_names_and_symbols_alone(tmp_path):
    source = (
        "{# A comment #}{% comment %}Not shown{% endcomment %}<!-- an HTML comment -->\n"
        "<pre>kshare serve --port 8000</pre><code>make run</code><kbd>Ctrl</kbd>\n"
        "<script src=\"{% static 'x.js' %}\"></script><style>body { color: red }</style>\n"
        "<span>· → — {{ count }} / 12 % &middot; kshare iCal CSV</span>\n"
    )
    assert _found(tmp_path, source) == []


def test_every_template_string_is_marked_for_translation():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in checker.templates([KSHARE])
        for line, text in checker.untranslated(path)
    ]
    assert found == []


# --- the catalogues ---------------------------------------------------------------------------

_MARKED = re.compile(
    r"{%\s*(translate|trans|blocktranslate|blocktrans)\b|\b(n?gettext|pgettext)(_lazy)?\("
)


def _apps_with_strings() -> list[str]:
    apps = []
    for app in sorted(p for p in KSHARE.iterdir() if (p / "apps.py").exists()):
        files = [
            f
            for f in app.rglob("*")
            if f.suffix in {".py", ".html", ".txt"}
            and "tests" not in f.parts
            and "migrations" not in f.parts
            and "locale" not in f.parts
        ]
        if any(_MARKED.search(f.read_text(encoding="utf-8")) for f in files):
            apps.append(app.name)
    return apps


def test_every_app_with_strings_to_translate_has_a_german_and_a_french_catalogue():
    missing = [
        f"{app}/{language}"
        for app in _apps_with_strings()
        for language in LANGUAGES
        if not (KSHARE / app / "locale" / language / "LC_MESSAGES" / "django.po").exists()
    ]
    assert missing == []


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|{\w+}")
_TAG = re.compile(r"</?([a-z]+)\b")


def _problems(entry: polib.POEntry, language: str) -> list[str]:
    problems = []
    if "fuzzy" in entry.flags:
        problems.append("fuzzy")
    pairs = (
        [(entry.msgid, entry.msgstr)]
        if not entry.msgid_plural
        else [
            (entry.msgid if index == 0 else entry.msgid_plural, text)
            for index, text in sorted(entry.msgstr_plural.items())
        ]
    )
    if entry.msgid_plural and len(pairs) != 2:
        problems.append(f"{len(pairs)} plural forms")
    for english, translated in pairs:
        if not translated.strip():
            problems.append("not translated")
            continue
        # A plural's singular may say "one" instead of its count.
        wanted = set(_PLACEHOLDER.findall(english))
        if not entry.msgid_plural and set(_PLACEHOLDER.findall(translated)) != wanted:
            got = sorted(set(_PLACEHOLDER.findall(translated)))
            problems.append(f"placeholders {sorted(wanted)} became {got}")
        if sorted(_TAG.findall(english)) != sorted(_TAG.findall(translated)):
            problems.append("HTML tags differ")
    return [f"{language}: {entry.msgid[:60]!r}: {problem}" for problem in problems]


@pytest.mark.parametrize("path", catalogues(), ids=_catalogue_ids)
def test_each_catalogue_is_complete_and_well_formed(path):
    language = path.parts[-3]
    catalogue = polib.pofile(str(path))
    assert catalogue.metadata["Language"] == language
    assert catalogue.metadata["Plural-Forms"] == PLURAL_FORMS[language]
    assert not catalogue.metadata_is_fuzzy
    assert len(catalogue) > 0
    problems = [p for entry in catalogue if not entry.obsolete for p in _problems(entry, language)]
    assert problems == []


@pytest.mark.parametrize("path", catalogues(), ids=_catalogue_ids)
def test_the_committed_mo_is_the_compiled_po(path):
    compiled = polib.mofile(str(path.with_suffix(".mo")))
    source = polib.pofile(str(path))

    def entries(catalogue) -> dict:
        return {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in catalogue
            if not e.obsolete and "fuzzy" not in e.flags
        }

    assert entries(compiled) == entries(source)


def test_the_catalogues_parse_with_gnu_msgfmt_checks():
    """msgfmt --check (format strings, header, plural forms) where GNU gettext is installed."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext's msgfmt is not installed (Debian package gettext)")
    failures = []
    for path in catalogues():
        result = subprocess.run(  # noqa: S603 - fixed command
            [msgfmt, "--check", "-o", "/dev/null", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode or result.stderr:
            failures.append(f"{path.relative_to(ROOT)}: {result.stderr.strip()}")
    assert failures == []


_PHYSICAL = re.compile(
    r"(?<![\w-])(margin|padding|border)-(left|right)\b|(?<![\w-])(left|right)\s*:|text-align:\s*(left|right)|float:\s*(left|right)"
)


def test_the_stylesheets_use_logical_sides_not_left_and_right():
    """Nothing hard-codes left or right (a right-to-left language would mirror the layout)."""
    found = []
    for path in sorted(KSHARE.rglob("*.css")):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        for number, line in enumerate(text.splitlines(), start=1):
            if _PHYSICAL.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert found == []
