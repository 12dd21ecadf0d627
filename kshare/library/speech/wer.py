"""Word error rate: how far a recogniser's words are from what was said. Pure: no Django.

WER = (S + D + I) / N over the word-level Levenshtein alignment of the hypothesis against the
reference (S substitutions, D deletions, I insertions, N reference words). Both texts are first
normalised the same way (``normalise``), so case and punctuation are not counted as errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word is letters and digits, with apostrophes only inside it ("don't", "o'clock"); anything
# else (punctuation, dashes, quotes) separates words.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def normalise(text: str) -> list[str]:
    """``text`` as lower-case words: punctuation dropped, apostrophes inside words kept, digits
    kept as they are ("Offline, isn't it? 2 hosts." → ["offline", "isn't", "it", "2", "hosts"])."""
    return _WORD.findall(text.replace("\u2019", "'").lower())


@dataclass(frozen=True)
class AlignmentCounts:
    """The edits that turn the reference into the hypothesis, and the reference's length."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions


def alignment_counts(reference: list[str], hypothesis: list[str]) -> AlignmentCounts:
    """The minimum-edit alignment's substitutions, deletions and insertions (word lists).

    Among alignments with the fewest edits, the one with most substitutions wins (as sclite and
    jiwer count), so "a b" → "c" is one substitution and one deletion, not two deletions and an
    insertion.
    """
    # Each cell holds (edits, substitutions, deletions, insertions); tuples compare by edits first.
    previous = [(j, 0, 0, j) for j in range(len(hypothesis) + 1)]
    for i, ref_word in enumerate(reference, start=1):
        current = [(i, 0, i, 0)]
        for j, hyp_word in enumerate(hypothesis, start=1):
            diagonal = previous[j - 1]
            if ref_word == hyp_word:
                best = diagonal
            else:
                best = (diagonal[0] + 1, diagonal[1] + 1, diagonal[2], diagonal[3])
            up = previous[j]
            deletion = (up[0] + 1, up[1], up[2] + 1, up[3])
            left = current[j - 1]
            insertion = (left[0] + 1, left[1], left[2], left[3] + 1)
            for candidate in (deletion, insertion):
                # Fewer edits, or as few with more substitutions.
                if (candidate[0], -candidate[1]) < (best[0], -best[1]):
                    best = candidate
            current.append(best)
        previous = current
    _, substitutions, deletions, insertions = previous[-1]
    return AlignmentCounts(substitutions, deletions, insertions, len(reference))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(S + D + I) / N of ``hypothesis`` against ``reference`` after ``normalise``.

    An empty reference gives 0.0 for an empty hypothesis and 1.0 for any other (every word is
    an insertion, and dividing by zero words says nothing useful).
    """
    ref = normalise(reference)
    hyp = normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return alignment_counts(ref, hyp).errors / len(ref)
