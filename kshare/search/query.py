"""User input → a safe full-text query, the same meaning on both databases.

Understood: words (all must match), ``"a phrase"``, ``-word`` / ``NOT word`` (must not match),
``word*`` (prefix), ``OR`` between alternatives; ``AND`` is the default and ignored. Everything
else is punctuation: only letters and digits reach the database, inside quotes on SQLite and as
plain operands on PostgreSQL, so no input can be a syntax error there. An unbalanced quote runs to
the end; input is cut to ``MAX_QUERY_CHARS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
MAX_WORD_CHARS = 64

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or the words of a phrase
    prefix: bool = False
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[tuple[Term, ...], ...]  # alternatives (OR) of terms (AND)

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def words(self) -> list[str]:
        return [w for group in self.groups for t in group if not t.negated for w in t.words]


def clean(text: str) -> str:
    """Printable text, at most MAX_QUERY_CHARS (NUL and control characters become spaces)."""
    text = "".join(" " if (ch < " " or "\ue000" <= ch <= "\uf8ff") else ch for ch in text)
    return " ".join(text[:MAX_QUERY_CHARS].split())


def parse(text: str) -> ParsedQuery:
    groups: list[tuple[Term, ...]] = []
    current: list[Term] = []
    negate_next = False
    count = 0
    for match in _TOKEN.finditer(clean(text)):
        minus, phrase, bare = match.groups()
        negated = negate_next or bool(minus)
        negate_next = False
        if bare is not None:
            if bare == "OR":
                if current:
                    groups.append(tuple(current))
                current = []
                continue
            if bare in {"AND", "&&", "+"}:
                continue
            if bare in {"NOT", "-"}:
                negate_next = True
                continue
            if bare.startswith("-"):
                negated, bare = True, bare[1:]
            prefix = bare.endswith("*")
            source = bare
        else:
            prefix = False
            source = phrase
        words = tuple(w.lower()[:MAX_WORD_CHARS] for w in _WORD.findall(source))
        if not words or count >= MAX_TERMS:
            continue
        count += 1
        current.append(Term(words=words, prefix=prefix, negated=negated))
    if current:
        groups.append(tuple(current))
    # A group needs something that must match: "-word" alone would mean "everything else".
    kept = tuple(g for g in groups if any(not t.negated for t in g))
    return ParsedQuery(groups=kept)


def to_fts5(query: ParsedQuery) -> str:
    """An FTS5 MATCH expression: every word is a quoted string (no operator can hide in it)."""

    def term(t: Term) -> str:
        return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

    alternatives = []
    for group in query.groups:
        expr = "(" + " AND ".join(term(t) for t in group if not t.negated) + ")"
        for t in group:
            if t.negated:
                expr = f"({expr} NOT {term(t)})"
        alternatives.append(expr)
    return " OR ".join(alternatives)


def to_tsquery(query: ParsedQuery) -> str:
    """A ``to_tsquery`` expression of letters, digits and operators only."""

    def term(t: Term) -> str:
        words = list(t.words)
        if t.prefix:
            words[-1] += ":*"
        inner = " <-> ".join(words)
        inner = f"({inner})" if len(words) > 1 else inner
        return f"!{inner}" if t.negated else inner

    return " | ".join("(" + " & ".join(term(t) for t in group) + ")" for group in query.groups)
