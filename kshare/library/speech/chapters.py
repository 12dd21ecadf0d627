"""Chapters: a timed transcript split into topical segments, each titled with its key words.

Pure: no Django. TextTiling (Hearst 1997) over the cues' words:

1. The transcript's content words (letters only, lower case, stop words of English, German and
   French and words shorter than three letters left out; a plural counts as its singular when
   the singular occurs too) are cut into token sequences of ``SEQUENCE_TOKENS`` words.
2. At every gap between two sequences, the ``k`` sequences before and the ``k`` after are
   compared by the cosine of their word counts (``k`` grows with the transcript, 2 to 6), and
   the curve is smoothed once (moving average of three).
3. A valley's *depth* is how far the similarity climbs on both sides before it falls again:
   (left peak - s) + (right peak - s). Valleys deeper than mean - sd/2 of all depths are
   candidates, deepest first.
4. Each candidate is snapped to a cue boundary near it (within a sequence either side): the one
   where the words just before and just after have the least in common. It is kept when every
   chapter stays at least ``min_chapter_ms`` long and there are at most ``max_chapters``.
5. Neighbouring chapters whose words are alike anyway (cosine of their word counts at least
   ``SAME_TOPIC``) are merged: depth scores are relative, so a talk that never changes topic
   still has valleys deeper than the rest.

A chapter's title is the 2 or 3 words whose share of the chapter most exceeds their share of the
whole transcript (score = tf_chapter * p_chapter / p_transcript), joined by " · ", two of them
written as a phrase when they mostly occur side by side ("Evaluation · offline metrics").

Short transcripts (under ``MIN_TRANSCRIPT_MS`` or fewer than ``MIN_SEQUENCES`` token sequences)
get no chapters: a chapter list of one entry helps nobody. A long transcript without a topical
break gets one chapter (its title still says what the talk is about).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

SEQUENCE_TOKENS = 20
MIN_TRANSCRIPT_MS = 120_000
MIN_SEQUENCES = 6
MIN_CHAPTER_MS = 60_000
MAX_CHAPTERS = 12
SAME_TOPIC = 0.8
TITLE_WORDS = 3
SEPARATOR = " · "

_WORD = re.compile(r"[^\W\d_]+")


def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_EN = _word_list(
    """
    a about above after again against all almost also although always am an and another any
    anyone anything are aren around as at away back be because been before being below between
    both but by can cannot could couldn did didn do does doesn doing don done down during each
    either else enough even ever every everyone everything few first for from further get gets
    getting give go goes going gone gonna good got had has hasn have haven having he her here
    hers herself him himself his how however i if in into is isn it its itself just kind know
    last let lets like little lot lots make makes many may maybe me mean might more most much
    must my myself need new next no nor not now of off often oh ok okay on once one only or
    other others our ours ourselves out over own perhaps put quite rather re really right said
    same say says see seem shall she should so some something sort still such sure take than
    that thats the their theirs them themselves then there these they thing things think this
    those though through thus to too two uh um under until up upon us use used using very want
    wanna was wasn way we well were weren what when where whether which while who whom whose
    why will with within without won would wouldn yeah yes yet you your yours yourself
    yourselves ll ve
    """
)
STOP_DE = _word_list(
    """
    aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei bin
    bis bist da dabei damit dann das dass dem den denn der des dich die dies diese diesem diesen
    dieser dieses dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer
    für gegen gibt habe haben hat hatte hier hin hinter ich ihm ihn ihnen ihr ihre im in ist ja
    jede jedem jeden jeder jetzt kann kein keine können könnte man manche mehr mein meine mich
    mir mit muss nach nicht nichts noch nun nur ob oder ohne schon sehr sein seine sich sie
    sind so solche soll sollte sondern über um und uns unser unter viel vom von vor war waren
    was weil welche wenn wer werden wie wieder wir wird wo wollen würde zu zum zur zwischen
    eben halt mal genau einfach
    """
)
STOP_FR = _word_list(
    """
    ai aie alors au aucun aussi autre aux avec avoir bon car ce ceci cela celle celles celui
    ces cet cette ceux chaque comme comment dans de des donc dont du elle elles en encore est
    et était été être eu eux fait faire fois il ils je jusqu la le les leur leurs lui ma mais
    me même mes moi mon ne ni nos notre nous on ont ou où par parce pas peu peut plus pour
    pourquoi qu quand que quel quelle quelles quels qui sa sans se ses si son sont sous sur ta
    te tes toi ton tous tout toute toutes très tu un une vers voici voilà vos votre vous ça
    euh bien donc voilà
    """
)
_STOP_BY_LANGUAGE = {
    "en": STOP_EN,
    # Talks in German or French borrow English words (slides, tools): drop English's too.
    "de": STOP_DE | STOP_EN,
    "fr": STOP_FR | STOP_EN,
}
STOP_ALL = STOP_EN | STOP_DE | STOP_FR


@dataclass(frozen=True)
class Chapter:
    start_ms: int
    end_ms: int
    title: str


def stop_words(language: str = "") -> frozenset[str]:
    """The stop words for a language tag ("de", "fr-CH"…); all three lists when unknown."""
    return _STOP_BY_LANGUAGE.get(language.split("-")[0].lower(), STOP_ALL)


@dataclass(frozen=True)
class _Token:
    key: str  # the plural-merged form the maths uses
    surface: str  # the word as spoken (lower case), for titles
    cue: int  # index of its cue
    position: int  # among all the cue's words (stop words too): what "side by side" means


def _tokens(cues: Sequence[tuple[int, int, str]], stop: frozenset[str]) -> list[_Token]:
    raw: list[tuple[str, int, int]] = []
    for index, (_start, _end, text) in enumerate(cues):
        for position, word in enumerate(_WORD.findall(text.lower())):
            if len(word) >= 3 and word not in stop:
                raw.append((word, index, position))
    vocabulary = {word for word, _, _ in raw}
    return [
        _Token(_merge_plural(word, vocabulary), word, cue, position) for word, cue, position in raw
    ]


def _merge_plural(word: str, vocabulary: set[str]) -> str:
    """The singular when the transcript also says it: "metrics" → "metric", "queries" → "query".

    No stemming beyond that: a wrong merge ("news" → "new") costs more than a missed one.
    """
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        if word.endswith("ies") and word[:-3] + "y" in vocabulary:
            return word[:-3] + "y"
        if word[:-1] in vocabulary:
            return word[:-1]
        if word.endswith("es") and word[:-2] in vocabulary:
            return word[:-2]
    return word


def _cosine(left: Counter[str], right: Counter[str]) -> float:
    if not left or not right:
        return 0.0
    dot = sum(count * right[key] for key, count in left.items() if key in right)
    if not dot:
        return 0.0
    norm = math.sqrt(sum(c * c for c in left.values()) * sum(c * c for c in right.values()))
    return dot / norm


def _window(tokens: list[_Token], start: int, end: int) -> Counter[str]:
    return Counter(token.key for token in tokens[max(0, start) : max(0, end)])


def _gap_similarities(tokens: list[_Token], sequences: int, k: int) -> list[float]:
    """Similarity at each gap 1 … sequences-1 (index 0 unused, kept for readable indices)."""
    w = SEQUENCE_TOKENS
    raw = [0.0] + [
        _cosine(_window(tokens, (g - k) * w, g * w), _window(tokens, g * w, (g + k) * w))
        for g in range(1, sequences)
    ]
    smoothed = [0.0]
    for g in range(1, sequences):
        around = [raw[i] for i in (g - 1, g, g + 1) if 1 <= i < sequences]
        smoothed.append(sum(around) / len(around))
    return smoothed


def _depths(similarity: list[float]) -> dict[int, float]:
    """Depth of every valley (a gap no higher than its neighbours), by gap index."""
    last = len(similarity) - 1
    depths: dict[int, float] = {}
    for g in range(1, last + 1):
        here = similarity[g]
        if (g > 1 and similarity[g - 1] < here) or (g < last and similarity[g + 1] < here):
            continue
        if g > 1 and similarity[g - 1] == here:
            continue  # a flat valley counts once, at its first gap
        left = here
        i = g
        while i > 1 and similarity[i - 1] >= left:
            i -= 1
            left = similarity[i]
        right = here
        i = g
        while i < last and similarity[i + 1] >= right:
            i += 1
            right = similarity[i]
        depths[g] = (left - here) + (right - here)
    return depths


def _cue_starts(tokens: list[_Token]) -> dict[int, int]:
    """Token index → the cue that starts there (the cue whose first word it is)."""
    starts: dict[int, int] = {}
    previous = None
    for index, token in enumerate(tokens):
        if token.cue != previous and index > 0:
            starts[index] = token.cue
        previous = token.cue
    return starts


def _snap(tokens: list[_Token], starts: dict[int, int], at: int, span: int) -> int | None:
    """The cue boundary near token ``at`` where the words before and after differ most.

    Returns the token index of that cue's first word, or None when no cue starts nearby.
    """
    w = SEQUENCE_TOKENS
    near = [index for index in starts if at - w <= index <= at + w]
    if not near:
        return min(starts, key=lambda index: abs(index - at), default=None)
    return min(
        near,
        key=lambda index: (
            _cosine(_window(tokens, index - span, index), _window(tokens, index, index + span)),
            abs(index - at),
            index,
        ),
    )


def chapters_for(
    cues: Sequence[tuple[int, int, str]],
    *,
    language: str = "",
    min_chapter_ms: int | None = None,
    max_chapters: int | None = None,
) -> list[Chapter]:
    """The topical chapters of timed ``cues`` ``(start_ms, end_ms, plain text)`` in time order.

    The first chapter starts at 0 and the last ends with the last cue; each one ends where the
    next starts (a cue's start). ``min_chapter_ms`` defaults to 60 s or a fifteenth of the
    transcript, whichever is longer; ``max_chapters`` to 3 plus one per 6 minutes, at most 12
    (a 5-minute talk gets at most 3, an hour at most 12). [] when the transcript is short.
    """
    cues = [cue for cue in cues if cue[2].strip()]
    if not cues:
        return []
    end_ms = max(cue[1] for cue in cues)
    tokens = _tokens(cues, stop_words(language))
    sequences = math.ceil(len(tokens) / SEQUENCE_TOKENS)
    if end_ms < MIN_TRANSCRIPT_MS or sequences < MIN_SEQUENCES:
        return []
    if min_chapter_ms is None:
        min_chapter_ms = max(MIN_CHAPTER_MS, end_ms // 15)
    if max_chapters is None:
        max_chapters = min(MAX_CHAPTERS, 3 + end_ms // 360_000)
    k = max(2, min(6, sequences // 8))
    similarity = _gap_similarities(tokens, sequences, k)
    depths = _depths(similarity)
    chosen_cues: list[int] = []
    if depths:
        values = list(depths.values())
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        cutoff = mean - sd / 2
        starts = _cue_starts(tokens)
        bounds = [0, end_ms]
        for gap, depth in sorted(depths.items(), key=lambda item: (-item[1], item[0])):
            if depth <= cutoff or depth <= 0 or len(chosen_cues) + 1 >= max_chapters:
                continue
            snapped = _snap(tokens, starts, gap * SEQUENCE_TOKENS, k * SEQUENCE_TOKENS)
            if snapped is None:
                continue
            cue = starts[snapped]
            at = cues[cue][0]
            if all(abs(at - bound) >= min_chapter_ms for bound in bounds):
                chosen_cues.append(cue)
                bounds.append(at)
    chosen_cues.sort()
    edges = _merge_alike([0, *chosen_cues, len(cues)], tokens)
    titles = _titles(tokens, edges)
    starts_ms = [0] + [cues[cue][0] for cue in edges[1:-1]]
    ends_ms = [*starts_ms[1:], end_ms]
    return [
        Chapter(start, end, title)
        for start, end, title in zip(starts_ms, ends_ms, titles, strict=True)
    ]


def _merge_alike(edges: list[int], tokens: list[_Token]) -> list[int]:
    """Drop the boundaries between neighbouring chapters that use the same words anyway.

    Depth scores are relative: a talk that never changes topic still has its deepest valleys.
    Two chapters whose word counts have a cosine of ``SAME_TOPIC`` or more are one topic.
    """
    edges = list(edges)
    while len(edges) > 2:
        counts = [
            Counter(token.key for token in tokens if first <= token.cue < stop)
            for first, stop in itertools.pairwise(edges)
        ]
        alike = [_cosine(a, b) for a, b in itertools.pairwise(counts)]
        most = max(range(len(alike)), key=lambda i: (alike[i], -i))
        if alike[most] < SAME_TOPIC:
            break
        del edges[most + 1]
    return edges


# -- titles ---------------------------------------------------------------------------------------


def _titles(tokens: list[_Token], edges: list[int]) -> list[str]:
    """One title per segment of cues ``edges[i] … edges[i+1]-1``."""
    whole = Counter(token.key for token in tokens)
    total = len(tokens)
    titles = []
    for first, stop in itertools.pairwise(edges):
        segment = [token for token in tokens if first <= token.cue < stop]
        titles.append(_title(segment, whole, total))
    return titles


def _title(segment: list[_Token], whole: Counter[str], total: int) -> str:
    if not segment:
        return ""
    counts = Counter(token.key for token in segment)
    size = len(segment)
    first_seen: dict[str, int] = {}
    for index, token in enumerate(segment):
        first_seen.setdefault(token.key, index)

    def score(key: str) -> float:
        return counts[key] * (counts[key] / size) / (whole[key] / total)

    ranked = sorted(counts, key=lambda key: (-score(key), first_seen[key]))
    # A word said once is no key word (unless the segment has nothing better).
    repeated = [key for key in ranked if counts[key] >= 2] or ranked
    keys = repeated[:TITLE_WORDS]
    spoken = _surface_forms(segment)
    parts = _phrases(keys, segment, counts)
    words = [" ".join(spoken[key] for key in part) for part in parts]
    title = SEPARATOR.join(words)
    return title[:1].upper() + title[1:]


def _surface_forms(segment: list[_Token]) -> dict[str, str]:
    """Each key's most frequent spoken form in the segment (the first said, on a tie)."""
    forms: dict[str, Counter[str]] = {}
    order: dict[str, int] = {}
    for index, token in enumerate(segment):
        forms.setdefault(token.key, Counter())[token.surface] += 1
        order.setdefault(token.surface, index)
    return {
        key: min(counter, key=lambda form: (-counter[form], order[form]))
        for key, counter in forms.items()
    }


def _phrases(keys: list[str], segment: list[_Token], counts: Counter[str]) -> list[list[str]]:
    """``keys`` as title parts: two keys that are mostly said one right after the other (in
    the same cue, no word between them) become one part, in their spoken order."""
    pairs: Counter[tuple[str, str]] = Counter(
        (a.key, b.key)
        for a, b in itertools.pairwise(segment)
        if a.cue == b.cue and b.position == a.position + 1
    )
    parts: list[list[str]] = []
    used: set[str] = set()
    for key in keys:
        if key in used:
            continue
        partner = None
        for other in keys:
            if other == key or other in used:
                continue
            for pair in ((key, other), (other, key)):
                together = pairs[pair]
                if together >= 2 and 2 * together >= min(counts[pair[0]], counts[pair[1]]):
                    partner = pair
                    break
            if partner:
                break
        if partner:
            parts.append(list(partner))
            used.update(partner)
        else:
            parts.append([key])
            used.add(key)
    return parts
