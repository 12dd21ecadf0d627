"""Chapters (``kshare.library.speech.chapters``): topical segments of constructed transcripts."""

from __future__ import annotations

import random

from kshare.library.speech.chapters import Chapter, chapters_for, stop_words
from kshare.library.tests.chapter_samples import (
    CUE_MS,
    DEPLOYING,
    EVALUATING,
    RECOMMENDING,
    block_cues,
    timed,
)


def test_three_topics_with_disjoint_words_split_exactly_at_their_edges():
    # 20, 30 and 25 cues of 11 words: the edges fall inside the 20-word token sequences, so
    # the boundaries are found between sequences and snapped to the right cue.
    texts = block_cues(*RECOMMENDING, 20) + block_cues(*EVALUATING, 30) + block_cues(*DEPLOYING, 25)
    cues = timed(texts)
    end = cues[-1][1]
    assert chapters_for(cues) == [
        Chapter(0, 100_000, "Recommender · ratings · embeddings"),
        Chapter(100_000, 250_000, "Evaluation · holdout · precision"),
        Chapter(250_000, end, "Deployment · kubernetes · rollout"),
    ]


def test_words_said_side_by_side_become_a_phrase_and_plurals_count_as_one_word():
    fillers = ["holdout", "leakage", "recall", "dataset", "baseline", "benchmark", "folds", "split"]
    evaluation = [
        f"The evaluation {fillers[i % 8]} uses offline metrics, {fillers[(i + 1) % 8]} "
        f"evaluation with {fillers[(i + 2) % 8]} offline metric {fillers[(i + 3) % 8]} "
        "evaluation."
        for i in range(30)
    ]
    cues = timed(block_cues(*RECOMMENDING, 30) + evaluation)
    chapters = chapters_for(cues)
    assert [(c.start_ms, c.title) for c in chapters] == [
        (0, "Recommender · ratings · embeddings"),
        (150_000, "Evaluation · offline metrics"),
    ]


def test_stop_words_of_the_transcripts_language_never_make_a_title():
    german = [
        f"Die Modelle und die Gewichte, das ist {w} aber nicht {v} so, wie die Modelle es sind."
        for w, v in zip(
            ["Training", "Daten", "Verlust", "Gradienten"] * 8, ["Lernrate"] * 32, strict=True
        )
    ]
    other = [
        f"Der Server und der Cluster, das ist {w} aber nicht {v} so, wie der Server es meint."
        for w, v in zip(
            ["Latenz", "Knoten", "Speicher", "Netzwerk"] * 8, ["Ausfall"] * 32, strict=True
        )
    ]
    chapters = chapters_for(timed(german + other), language="de")
    assert [(c.start_ms, c.title) for c in chapters] == [
        (0, "Modelle · gewichte · lernrate"),
        (160_000, "Server · cluster · ausfall"),
    ]
    assert {"die", "der", "und", "das", "ist", "aber", "nicht", "wie", "es"} <= stop_words("de")
    assert {"the", "les", "une"} <= stop_words("")  # unknown language: all three lists
    assert "les" not in stop_words("en-GB")


def test_a_short_transcript_has_no_chapters():
    # Under two minutes, however many words…
    assert chapters_for(timed(block_cues(*RECOMMENDING, 23))) == []
    # …or long but with too few words for six token sequences.
    sparse = [(i * 60_000, i * 60_000 + 5_000, "recommender ratings embeddings") for i in range(30)]
    assert chapters_for(sparse) == []
    assert chapters_for([]) == []
    assert chapters_for([(0, 200_000, "   ")]) == []


def test_chapters_are_at_least_a_minute_long_and_a_five_minute_talk_has_at_most_three():
    # Four topics of 75 s each: all four are found, but a 5-minute talk gets three chapters.
    texts = (
        block_cues(*RECOMMENDING, 15)
        + block_cues(*EVALUATING, 15)
        + block_cues(*DEPLOYING, 15)
        + block_cues(("privacy", "consent", "retention"), ["gdpr", "erasure", "audit"], 15)
    )
    assert [c.start_ms for c in chapters_for(timed(texts), max_chapters=12)] == [
        0,
        75_000,
        150_000,
        225_000,
    ]
    # …the two deepest changes are kept.
    chapters = chapters_for(timed(texts))
    assert [(c.start_ms, c.end_ms) for c in chapters] == [
        (0, 75_000),
        (75_000, 225_000),
        (225_000, 299_800),
    ]
    # Chapters of at least 100 s: only the middle change (two 150 s halves) is far enough from
    # the ends and from each other.
    short = chapters_for(timed(texts), min_chapter_ms=100_000, max_chapters=12)
    assert [(c.start_ms, c.end_ms) for c in short] == [(0, 150_000), (150_000, 299_800)]


def test_an_hour_with_eight_topics_in_shared_small_talk_gets_eight_chapters_at_the_changes():
    rng = random.Random(7)
    shared = [f"common{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
    topics = [[f"topic{chr(97 + n)}word{c}" for c in "abcdefghij"] for n in range(8)]
    texts = []
    for words in topics:  # 7.5 minutes each; 40 % of the words are the topic's own
        for _ in range(90):
            texts.append(
                " ".join(
                    [
                        rng.choice(words) if rng.random() < 0.4 else rng.choice(shared)
                        for _ in range(10)
                    ]
                )
            )
    chapters = chapters_for(timed(texts))
    assert len(chapters) == 8
    # Each change is found within two cues (10 s) of where it is: the small talk blurs it.
    for chapter, edge in zip(chapters, range(0, 3_600_000, 450_000), strict=True):
        assert abs(chapter.start_ms - edge) <= 2 * CUE_MS
    # Titled by each topic's own words, never the small talk.
    assert [c.title.lower().startswith(f"topic{chr(97 + n)}") for n, c in enumerate(chapters)] == [
        True
    ] * 8
    assert chapters[-1].end_ms == 3_600_000 - 200


def test_a_talk_that_never_changes_topic_is_one_chapter():
    # Ten minutes drawn from one vocabulary (Zipf-like frequencies): the similarity curve still
    # has valleys, but the chapters either side of each would use the same words.
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choice(letters) for _ in range(7)) for _ in range(300)]
    weights = [1 / rank for rank in range(1, 301)]
    texts = [" ".join(rng.choices(vocabulary, weights, k=10)) for _ in range(120)]
    chapters = chapters_for(timed(texts))
    assert [(c.start_ms, c.end_ms) for c in chapters] == [(0, 599_800)]
    assert chapters[0].title == "Hsreltp · usctapi · pmuehue"  # its most frequent words
