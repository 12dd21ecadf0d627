"""Constructed transcripts with known topics, for the chapter tests."""

from __future__ import annotations

from kshare.library import transcripts

CUE_MS = 5_000


def block_cues(key: tuple[str, str, str], fillers: list[str], count: int) -> list[str]:
    """``count`` cue texts of one topic: its first key word three times a cue, the second twice,
    the third once, never side by side (a filler between each), with stop words around them."""
    a, b, c = key
    texts = []
    for i in range(count):
        f = [fillers[(i * 5 + j) % len(fillers)] for j in range(5)]
        texts.append(
            f"So the {a} {f[0]} and {b} {f[1]} {a}, we {f[2]} {c} {f[3]} {a} {f[4]} then {b}."
        )
    return texts


def timed(texts: list[str], start: int = 0) -> list[tuple[int, int, str]]:
    return [
        (start + i * CUE_MS, start + i * CUE_MS + CUE_MS - 200, text)
        for i, text in enumerate(texts)
    ]


RECOMMENDING = (
    ("recommender", "ratings", "embeddings"),
    [
        "matrix",
        "factorisation",
        "neighbours",
        "implicit",
        "feedback",
        "cold",
        "start",
        "popularity",
    ],
)
EVALUATING = (
    ("evaluation", "holdout", "precision"),
    ["offline", "recall", "baseline", "benchmark", "dataset", "significance", "leakage", "split"],
)
DEPLOYING = (
    ("deployment", "kubernetes", "rollout"),
    ["canary", "containers", "latency", "alerts", "servers", "monitoring", "pods", "cluster"],
)


def three_topics_vtt() -> str:
    """20, 30 and 25 cues of recommending, evaluating and deploying: chapters at 1:40 and 4:10."""
    texts = block_cues(*RECOMMENDING, 20) + block_cues(*EVALUATING, 30) + block_cues(*DEPLOYING, 25)
    return "WEBVTT\n\n" + "".join(
        f"{transcripts.format_timestamp(start)} --> {transcripts.format_timestamp(end)}\n{text}\n\n"
        for start, end, text in timed(texts)
    )
