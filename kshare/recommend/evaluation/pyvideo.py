"""The ``pyvideo-experts`` benchmark: expertise finding on real conference talks.

Protocol (``../shared/data/README.md``): talks with language ``eng``, a description of >= 50
characters and at least one speaker (11,932); candidate speakers have >= 2 such talks; each
candidate's latest talk (by ``recorded``, then ``id``) is held out and hidden from every profile;
for each held-out talk that keeps a candidate with >= 1 remaining talk (1,928 queries), every
speaker with >= 1 remaining talk is ranked. Recall@10 = share of the talk's candidates (those whose
held-out talk it is) in the top 10; MRR from the best-ranked one. Ties are broken by speaker id
(speakers sorted by their pseudonymous id).

Models, all in one run: ``tfidf`` (the reference: speaker profile = sum of talk vectors, sublinear
tf, 1-2 grams, English stop words, min_df 2, cosine), ``most-talks`` (speakers by number of talks),
``experts-linear`` (the ExpertFinder's first-stage blend) and ``experts`` (blend + re-ranker tuned
on the validation split built the same way from the training talks; never on the held-out talks).
The query's event name and tags are used (known when asking who could speak at an event); its
date is not.
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from kshare.recommend.engine.experts import ExpertFinder, holdout_latest

PROTOCOL = (
    "pyvideo talks: language eng, description >= 50 chars, >= 1 speaker; speakers with >= 2 "
    "talks have their latest talk (recorded, then id) held out and hidden from every profile; "
    "each held-out talk is a query ranking every speaker with >= 1 remaining talk; Recall@10 = "
    "share of the talk's held-out speakers in the top 10, MRR of the best-ranked one; the "
    "query's event name is known, its date is not; hyper-parameters and the re-ranker are "
    "fitted on the same split applied to the training talks"
)


@dataclass
class Talks:
    text: list[str]
    title: list[str]
    event: list[str]
    people: list[list[int]]
    tags: list[list[str]]
    order: np.ndarray  # rank of (recorded, id): the protocol's "latest"
    time: np.ndarray  # unix seconds of recorded (0 if missing)
    speakers: list[str]


def talk_text(row: dict) -> str:
    return f"{row['title']}\n{row['description']}\n{' '.join(row.get('tags') or [])}"


def load_talks(path: Path) -> Talks:
    """The protocol's talks from ``talks.jsonl.gz``. Raises FileNotFoundError naming the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pyvideo data set not found: {path}")
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            if (
                r.get("language") == "eng"
                and len(r.get("description") or "") >= 50
                and r.get("speakers")
            ):
                rows.append(r)
    speakers = sorted({s for r in rows for s in r["speakers"]})
    sid = {s: i for i, s in enumerate(speakers)}
    # Sorted by (recorded, id): index order is the protocol's "latest" order, ties included.
    rows.sort(key=lambda r: (r.get("recorded") or "", r["id"]))
    order = np.arange(len(rows), dtype=np.int64)
    times = np.array(
        [
            datetime.combine(
                date.fromisoformat(r["recorded"][:10]), datetime.min.time(), UTC
            ).timestamp()
            if r.get("recorded")
            else 0.0
            for r in rows
        ],
        dtype=np.float64,
    )
    return Talks(
        text=[talk_text(r) for r in rows],
        title=[r["title"] for r in rows],
        event=[r.get("event") or "" for r in rows],
        people=[[sid[s] for s in r["speakers"]] for r in rows],
        tags=[list(r.get("tags") or []) for r in rows],
        order=order,
        time=times,
        speakers=speakers,
    )


def _metrics(
    ranked: list[np.ndarray], relevant: list[list[int]], k: int = 10
) -> tuple[float, float]:
    ranks = [_relevant_ranks(ids, rel) for ids, rel in zip(ranked, relevant, strict=True)]
    return _summarise(ranks, relevant, k)


def _relevant_ranks(ids: np.ndarray, rel: list[int]) -> list[int]:
    """0-based positions of the relevant people in one ranking (absent ones left out)."""
    return [int(i) for i in np.flatnonzero(np.isin(ids, rel))]


def _summarise(ranks: list[list[int]], relevant: list[list[int]], k: int) -> tuple[float, float]:
    rec = [sum(r < k for r in rs) / len(rel) for rs, rel in zip(ranks, relevant, strict=True)]
    rr = [1.0 / (1 + min(rs)) if rs else 0.0 for rs in ranks]
    return float(np.mean(rec)), float(np.mean(rr))


def tfidf_reference(
    texts: list[str],
    people: list[list[int]],
    n_people: int,
    queries: list[str],
    rankable: np.ndarray,
    relevant: list[list[int]],
) -> list[list[int]]:
    """The reference baseline: where each query's relevant people land in its full ranking of
    the rankable speakers (ties by id)."""
    vec = TfidfVectorizer(
        sublinear_tf=True, ngram_range=(1, 2), stop_words="english", min_df=2, dtype=np.float32
    )
    X = vec.fit_transform(texts)
    pr = [p for ps in people for p in ps]
    pc = [d for d, ps in enumerate(people) for _ in ps]
    A = sp.csr_matrix((np.ones(len(pr), np.float32), (pr, pc)), shape=(n_people, len(texts)))
    P = normalize(A @ X)
    out = []
    Q = vec.transform(queries)
    for lo in range(0, len(queries), 256):
        S = np.asarray((Q[lo : lo + 256] @ P.T).todense())[:, rankable]
        order = np.argsort(-S, axis=1, kind="stable")
        for i, row in enumerate(order):
            out.append(_relevant_ranks(rankable[row], relevant[lo + i]))
    return out


def evaluate_pyvideo(path: Path, models: tuple[str, ...] | None = None) -> dict:
    """Run the benchmark: ``{"dataset", "protocol", "counts", "results": {model: metrics}}``."""
    started = time.perf_counter()
    talks = load_talks(Path(path))
    train_docs, query_docs, relevant = holdout_latest(talks.people, talks.order)
    n = len(talks.speakers)
    tr_people = [talks.people[d] for d in train_docs]
    rankable = np.array(sorted({p for ps in tr_people for p in ps}), dtype=np.int64)
    queries = [talks.text[d] for d in query_docs]
    q_meta = [talks.event[d] for d in query_docs]
    wanted = models or ("tfidf", "most-talks", "experts-linear", "experts")
    results: dict[str, dict[str, float | int]] = {}

    def record(name: str, ranks: list[list[int]], t0: float) -> None:
        r, m = _summarise(ranks, relevant, 10)
        results[name] = {
            "recall@10": round(r, 4),
            "mrr": round(m, 4),
            "queries": len(relevant),
            "seconds": round(time.perf_counter() - t0, 2),
        }

    if "tfidf" in wanted:
        t0 = time.perf_counter()
        ranked = tfidf_reference(
            [talks.text[d] for d in train_docs], tr_people, n, queries, rankable, relevant
        )
        record("tfidf", ranked, t0)
    if "most-talks" in wanted:
        t0 = time.perf_counter()
        counts = np.bincount([p for ps in tr_people for p in ps], minlength=n)[rankable]
        order = rankable[np.argsort(-counts, kind="stable")]
        record("most-talks", [_relevant_ranks(order, rel) for rel in relevant], t0)
    in_rankable = np.zeros(n, dtype=bool)
    in_rankable[rankable] = True
    for name, rerank in (("experts-linear", False), ("experts", True)):
        if name not in wanted:
            continue
        t0 = time.perf_counter()
        finder = ExpertFinder(rerank=rerank, name=name).fit(
            [talks.text[d] for d in train_docs],
            tr_people,
            doc_time=talks.time[train_docs],
            doc_meta=[talks.event[d] for d in train_docs],
            doc_titles=[talks.title[d] for d in train_docs],
            n_people=n,
            doc_tags=[talks.tags[d] for d in train_docs],
        )
        q_tags: list[list[str] | None] = [talks.tags[d] for d in query_docs]
        ranks: list[list[int]] = []
        for lo in range(0, len(queries), 256):  # reduce each batch at once: bounded memory
            hi = lo + 256
            scored = finder.scores_many(queries[lo:hi], q_meta[lo:hi], q_tags[lo:hi])
            for (ids, _), rel in zip(scored, relevant[lo:hi], strict=True):
                ranks.append(_relevant_ranks(ids[in_rankable[ids]], rel))
        record(name, ranks, t0)
    return {
        "dataset": "pyvideo-experts",
        "protocol": PROTOCOL,
        "counts": {
            "talks": len(talks.text),
            "queries": len(query_docs),
            "speakers_ranked": len(rankable),
            "training_talks": len(train_docs),
        },
        "results": results,
        "best": max(results, key=lambda m: (results[m]["mrr"], m)) if results else None,
        "seconds": round(time.perf_counter() - started, 1),
    }
