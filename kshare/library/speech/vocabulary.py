"""The words a session is about, from its own text (title, abstract, notes, tags, slides). Pure.

A recogniser adapted to a session favours these terms: single content words ("offline") and
the two-word terms the text uses ("recommender systems", "feedback form", "catch-up"). Small
function words are left out: the generic language model knows them well, and favouring them
would only make the recogniser hear them everywhere.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from kshare.library.speech.wer import normalise

# The commonest English function words and fillers of abstracts.
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each every few for
    from further had has have having he her here hers him his how i if in into is it its itself
    just let me more most my no nor not now of off on once one only or other our ours out over
    own same she should so some such than that the their theirs them then there these they this
    those through to too two under until up us very was we were what when where which while who
    whom why will with would you your yours abstract notes tags title use used using
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Phrases end at punctuation: a two-word term never spans "Tags: recommender, recommender systems".
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"\n\u2014|/]+")
_HYPHENATED = re.compile(r"\b([^\W\d_]+)-([^\W\d_]+)\b")


@dataclass(frozen=True)
class Term:
    """A word or two-word term the session text uses, and how often."""

    words: tuple[str, ...]
    count: int


def session_terms(text: str, *, limit: int = 300) -> list[Term]:
    """The session text's content words and two-word terms, most frequent first (at most
    ``limit``). Two-word terms are adjacent content words inside one phrase, or a hyphenated
    pair ("catch-up" → ("catch", "up"))."""
    counts: Counter[tuple[str, ...]] = Counter()
    for first, second in _HYPHENATED.findall(text):
        counts[(first.lower(), second.lower())] += 1
    for phrase in _PHRASE_BREAK.split(text):
        words = normalise(phrase.replace("-", " "))
        for word in words:
            if _content(word):
                counts[(word,)] += 1
        for first, second in itertools.pairwise(words):
            if _content(first) and _content(second):
                counts[(first, second)] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Term(words, count) for words, count in ranked[:limit]]


def session_phrases(text: str, *, limit: int = 300) -> list[Term]:
    """The session text's pairs of a function word and a content word inside one phrase ("the
    host", "host can", "of sharing"), most frequent first (at most ``limit``).

    Favoured as whole tokens they act as the bigrams a language model of the session's text would
    have: "the host" then wins over the generic model's "the house". Pairs of two content words
    are ``session_terms``'; pairs of two function words are the generic model's business."""
    counts: Counter[tuple[str, ...]] = Counter()
    for phrase in _PHRASE_BREAK.split(text):
        words = normalise(phrase.replace("-", " "))
        for first, second in itertools.pairwise(words):
            if _content(first) != _content(second):
                counts[(first, second)] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Term(words, count) for words, count in ranked[:limit]]


def _content(word: str) -> bool:
    return len(word) > 1 and word not in STOPWORDS and not word.isdigit()
