"""Word-lattice rescoring for pocketsphinx: the best path under a trigram language model,
optionally interpolated with a small trigram model of the session's own text. Pure: no Django.

pocketsphinx's own last pass (``bestpath``) searches its lattice with bigram scores of the
decoder's model only. Its lattices nearly always hold the words that were said (oracle WER 0.022
on the benchmark's paragraphs), so a better path through them is worth looking for: here every
word is scored with the generic model's trigram probability (read through the binding's
``NGramModel.prob``) and, for a session with text, interpolated linearly with a trigram model of
that text (``SessionModel``), since the binding can neither write nor interpolate n-gram models.

The lattice reaches Python through pocketsphinx's own text format (``Lattice.write``; the
binding offers no walk over its nodes): nodes are words with a start frame, and a link from a
node to the next carries the acoustic score of the first word ending just before the second
starts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from kshare.library.speech.wer import normalise

# pocketsphinx's log base: scores in its files and models are log_1.0001 of a probability.
LOG_BASE = 1.0001
_LN_BASE = math.log(LOG_BASE)
# Bounds for one chunk. A 30 s chunk of clean speech gave about 1,500 nodes and 7,000 links,
# noisy speech a few times that; past these the search would cost seconds and tens of MB, and
# the decoder's own segmentation is used instead.
MAX_NODES = 20_000
MAX_LINKS = 150_000
MAX_STEPS = 1_000_000
_ALTERNATE = re.compile(r"\(\d+\)$")
TERM_MARK = "~"  # a session term's token in the adapted dictionary ("recommender_systems~")
START, END = "<s>", "</s>"


@dataclass(frozen=True)
class Weights:
    """How the path's parts are added up, in natural-log units per word.

    ``language`` multiplies the language model's log probability (the acoustic score counts
    once); ``insertion`` is added per word and ``filler`` per silence or noise; ``generic`` is
    the generic model's share of the interpolated probability (the session model has the rest).
    """

    language: float
    insertion: float
    filler: float
    generic: float = 1.0


@dataclass(frozen=True)
class Node:
    word: str  # as the dictionary spells it: "to(2)", "<sil>", "recommender_systems~"
    start_frame: int


@dataclass(frozen=True)
class Lattice:
    """A pocketsphinx word lattice: ``links`` are (from node, to node, acoustic log score in
    natural-log units of the from node's word, which ends on the frame before the to node
    starts)."""

    nodes: tuple[Node, ...]
    links: tuple[tuple[int, int, float], ...]
    start: int
    end: int
    frames: int


@dataclass(frozen=True)
class Segment:
    """A word on the best path, as the decoder spells it, and its first and last frame."""

    word: str
    start_frame: int
    end_frame: int


class TooLarge(ValueError):
    """The lattice is over the bounds above."""


def read_lattice(text: str) -> Lattice:
    """Parses ``Lattice.write``'s format; ``TooLarge`` past ``MAX_NODES``/``MAX_LINKS``,
    ``ValueError`` when the text is not such a lattice."""
    lines = iter(line for line in text.splitlines() if line and not line.startswith("#"))
    frames = nodes_count = start = end = -1
    nodes: list[Node] = []
    links: list[tuple[int, int, float]] = []
    for line in lines:
        head = line.split()
        if head[0] == "Frames":
            frames = int(head[1])
        elif head[0] == "Nodes":
            nodes_count = int(head[1])
            if nodes_count > MAX_NODES:
                raise TooLarge(f"{nodes_count} nodes")
            for _ in range(nodes_count):
                number, word, start_frame = next(lines).split()[:3]
                if int(number) != len(nodes):
                    raise ValueError(f"node {number} out of order")
                nodes.append(Node(word, int(start_frame)))
        elif head[0] == "Initial":
            start = int(head[1])
        elif head[0] == "Final":
            end = int(head[1])
        elif head[0] == "Edges":
            for edge in lines:
                if edge == "End":
                    break
                source, target, score = edge.split()
                links.append((int(source), int(target), int(score) * _LN_BASE))
                if len(links) > MAX_LINKS:
                    raise TooLarge(f"more than {MAX_LINKS} links")
    if frames < 0 or nodes_count < 0 or not 0 <= start < len(nodes) or not 0 <= end < len(nodes):
        raise ValueError("not a pocketsphinx lattice")
    return Lattice(tuple(nodes), tuple(links), start, end, frames)


def is_filler(word: str) -> bool:
    """Silences, noises and sentence marks inside the utterance: "<sil>", "[NOISE]", "<s>"."""
    return word.startswith(("<", "[", "+"))


def token(word: str) -> str:
    """The language model's token for a dictionary word: "to(2)" → "to"."""
    return _ALTERNATE.sub("", word)


def token_words(tok: str) -> tuple[str, ...]:
    """The words a token stands for: "recommender_systems~" → ("recommender", "systems")."""
    return tuple(tok.removesuffix(TERM_MARK).split("_")) if tok.endswith(TERM_MARK) else (tok,)


# A language model as a function of a token and its history (oldest first, at most two
# tokens, START at the utterance's beginning): the natural log of its probability.
LanguageModel = Callable[[str, tuple[str, ...]], float]


def best_path(
    lattice: Lattice, score: LanguageModel, weights: Weights, *, histories: int = 4
) -> list[Segment]:
    """The lattice's best path from its first to its last node, under acoustic score +
    ``weights.language`` * ``score`` + ``weights.insertion`` per word + ``weights.filler`` per
    filler; its words (fillers and the sentence marks left out) with their frames.

    Dynamic programming over (node, last two words): fillers keep the history they follow, so a
    pause does not cut a trigram. ``TooLarge`` past ``MAX_STEPS`` steps along a link;
    ``ValueError`` when no path reaches the last node."""
    nodes = lattice.nodes
    exits: dict[int, list[tuple[int, float]]] = {}
    for source, target, acoustic in lattice.links:
        # A link always goes forward in time; one that does not would break the order below.
        if nodes[target].start_frame > nodes[source].start_frame:
            exits.setdefault(source, []).append((target, acoustic))
    order = sorted(range(len(nodes)), key=lambda n: nodes[n].start_frame)
    tokens = [token(node.word) for node in nodes]
    History = tuple[str, ...]
    # node → history → (score so far, the node before, its history): open until the node's
    # turn, then pruned and kept for the way back (a few per node, not one per link).
    Entry = tuple[float, int, History]
    best: dict[int, dict[History, Entry]] = {lattice.start: {(START,): (0.0, -1, ())}}
    kept: dict[int, dict[History, Entry]] = {}
    arrivals = 0
    for source in order:
        here = best.pop(source, None) if source != lattice.end else None
        if not here:
            continue
        if len(here) > histories:
            # Every way into this node is known by now (links go forward in time): only its
            # best few histories go on, which bounds the search at a few per link.
            here = dict(sorted(here.items(), key=lambda item: -item[1][0])[:histories])
        kept[source] = here
        for history, (so_far, _, _) in here.items():
            for target, acoustic in exits.get(source, ()):
                arrivals += 1
                if arrivals > MAX_STEPS:
                    raise TooLarge(f"more than {MAX_STEPS} steps")
                tok = tokens[target]
                total = so_far + acoustic
                if target == lattice.end and tok == END:
                    total += weights.language * score(END, history)
                    after = history
                elif is_filler(tok):
                    total += weights.filler
                    after = history
                else:
                    total += weights.language * score(tok, history) + weights.insertion
                    after = (*history, tok)[-2:]
                there = best.setdefault(target, {})
                if after not in there or there[after][0] < total:
                    there[after] = (total, source, history)
    finals = best.get(lattice.end)
    if not finals:
        raise ValueError("no path reaches the lattice's last node")
    _, previous, history = max(finals.values())
    path = [lattice.end]
    while previous >= 0:
        path.append(previous)
        _, previous, history = kept[previous][history]
    path.reverse()
    segments = []
    for node, following in zip(path, [*path[1:], None], strict=True):
        tok = tokens[node]
        if is_filler(tok) or tok in (START, END):
            continue
        end_frame = (
            nodes[following].start_frame - 1 if following is not None else lattice.frames - 1
        )
        segments.append(Segment(nodes[node].word, nodes[node].start_frame, end_frame))
    return segments


def interpolated(
    generic: LanguageModel, session: LanguageModel | None, generic_share: float
) -> LanguageModel:
    """``generic`` alone, or ``generic_share`` * generic + the rest * ``session`` (linear in
    probability), each lookup remembered (a lattice asks for the same few thousand again)."""
    cache: dict[tuple[str, tuple[str, ...]], float] = {}

    def score(tok: str, history: tuple[str, ...]) -> float:
        key = (tok, history)
        known = cache.get(key)
        if known is None:
            known = generic(tok, history)
            if session is not None:
                mixed = generic_share * math.exp(known) + (1 - generic_share) * math.exp(
                    session(tok, history)
                )
                known = math.log(mixed) if mixed > 0 else known
            cache[key] = known
        return known

    return score


def pocketsphinx_model(lm: object) -> LanguageModel:
    """The generic model's trigram log probability (natural log) through the binding's
    ``NGramModel.prob`` (the raw probability: no language weight, no insertion penalty)."""
    prob = lm.prob  # type: ignore[attr-defined]

    def score(tok: str, history: tuple[str, ...]) -> float:
        # prob takes the word, then its history most recent first.
        return float(prob([tok, *reversed(history)])) * _LN_BASE

    return score


# The session model's smallest probability: a word its text never uses gets this share of a
# uniform guess over a vocabulary of about the generic model's size.
_VOCABULARY = 75_000


@dataclass
class SessionModel:
    """A trigram model of the session's own text (title, abstract, notes, tags), smoothed by
    Witten-Bell interpolation down to a uniform floor; a session term token is scored as its
    words in turn."""

    unigrams: Counter[str] = field(default_factory=Counter)
    grams: Counter[tuple[str, ...]] = field(default_factory=Counter)
    # history → (count of the history, number of different words after it)
    contexts: dict[tuple[str, ...], tuple[int, int]] = field(default_factory=dict)
    total: int = 0

    @classmethod
    def of(cls, text: str) -> SessionModel:
        model = cls()
        followers: dict[tuple[str, ...], set[str]] = {}
        counts: Counter[tuple[str, ...]] = Counter()
        for sentence in _SENTENCE_BREAK.split(text):
            words = normalise(sentence.replace("-", " "))
            if not words:
                continue
            model.unigrams.update([*words, END])
            padded = [START, *words, END]
            for index in range(1, len(padded)):
                for order in (1, 2):
                    if index >= order:
                        history = tuple(padded[index - order : index])
                        model.grams[(*history, padded[index])] += 1
                        counts[history] += 1
                        followers.setdefault(history, set()).add(padded[index])
        model.contexts = {h: (counts[h], len(followers[h])) for h in counts}
        model.total = sum(model.unigrams.values())
        return model

    def probability(self, word: str, history: tuple[str, ...]) -> float:
        p = 1 / _VOCABULARY
        if self.total:
            seen = len(self.unigrams)
            p = (self.unigrams[word] + seen * p) / (self.total + seen)
        for order in (1, 2):
            if len(history) < order:
                break
            h = history[-order:]
            count, distinct = self.contexts.get(h, (0, 0))
            if count:
                p = (self.grams[(*h, word)] + distinct * p) / (count + distinct)
        return p

    def __call__(self, tok: str, history: tuple[str, ...]) -> float:
        words = [w for t in history for w in token_words(t)][-2:]
        log_p = 0.0
        for word in token_words(tok):
            log_p += math.log(self.probability(word, tuple(words)))
            words = [*words, word][-2:]
        return log_p


_SENTENCE_BREAK = re.compile(r"[.;:!?()\[\]{}\"\n\u2014|]+")


def rescored(
    lattice_text: str, *, generic: LanguageModel, session: SessionModel | None, weights: Weights
) -> list[Segment]:
    """The best path of a lattice in ``Lattice.write``'s format under ``generic``, interpolated
    with ``session`` when there is one; see ``best_path``."""
    return best_path(
        read_lattice(lattice_text), interpolated(generic, session, weights.generic), weights
    )
