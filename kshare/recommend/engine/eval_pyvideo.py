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

from .experts import ExpertFinder, holdout_latest

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
    rec, rr = [], []
    for ids, rel in zip(ranked, relevant, strict=True):
        pos = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
        pos[ids] = np.arange(len(ids))
        ranks = [int(pos[p]) for p in rel if p < len(pos) and pos[p] >= 0]
        rec.append(sum(r < k for r in ranks) / len(rel))
        rr.append(1.0 / (1 + min(ranks)) if ranks else 0.0)
    return float(np.mean(rec)), float(np.mean(rr))


def tfidf_reference(
    texts: list[str],
    people: list[list[int]],
    n_people: int,
    queries: list[str],
    rankable: np.ndarray,
) -> list[np.ndarray]:
    """The reference baseline's full rankings (rankable speakers only, ties by id)."""
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
        out.extend(rankable[order])
    return out


def evaluate_pyvideo(path: Path, models: tuple[str, ...] | None = None) -> dict:
    """Run the benchmark: ``{"dataset", "protocol", "counts", "results": {model: metrics}}``."""
    talks = load_talks(Path(path))
    train_docs, query_docs, relevant = holdout_latest(talks.people, talks.order)
    n = len(talks.speakers)
    tr_people = [talks.people[d] for d in train_docs]
    rankable = np.array(sorted({p for ps in tr_people for p in ps}), dtype=np.int64)
    queries = [talks.text[d] for d in query_docs]
    q_meta = [talks.event[d] for d in query_docs]
    wanted = models or ("tfidf", "most-talks", "experts-linear", "experts")
    results: dict[str, dict[str, float | int]] = {}

    def record(name: str, ranked: list[np.ndarray], t0: float) -> None:
        r, m = _metrics(ranked, relevant)
        results[name] = {
            "recall@10": round(r, 4),
            "mrr": round(m, 4),
            "queries": len(relevant),
            "seconds": round(time.perf_counter() - t0, 2),
        }

    if "tfidf" in wanted:
        t0 = time.perf_counter()
        ranked = tfidf_reference(
            [talks.text[d] for d in train_docs], tr_people, n, queries, rankable
        )
        record("tfidf", ranked, t0)
    if "most-talks" in wanted:
        t0 = time.perf_counter()
        counts = np.bincount([p for ps in tr_people for p in ps], minlength=n)[rankable]
        order = rankable[np.argsort(-counts, kind="stable")]
        record("most-talks", [order] * len(queries), t0)
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
        ranked = [ids[in_rankable[ids]] for ids, _ in finder.scores_many(queries, q_meta, q_tags)]
        record(name, ranked, t0)
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
    }
