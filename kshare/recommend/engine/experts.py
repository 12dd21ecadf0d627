"""Expertise finding: who could host a talk on X.

Pure engine code (numpy, scipy, scikit-learn; no Django). People are integer ids
``0..n_people-1``; documents are the talks/sessions they hosted (several people may share one
document) and, optionally, a text per person (declared skills, repeated by level). A query is a
text (a topic request, an idea) plus optional metadata (the programme or event it is meant for).

Scoring, per (query, person):

* ``cent`` - cosine between the query's TF-IDF vector and the person's profile (sum of their
  documents' vectors and their skills text);
* ``max``/``max2`` - cosine with the person's best (second-best) matching single document: a
  specialist with one talk on the topic is not drowned by their other talks;
* ``bm25`` - BM25 of the query words over the person's concatenated documents;
* ``title``/``tags``/``lsa`` - best document by title words, by tags, and in a latent (LSA) space;
* metadata priors - the share of the person's documents in the query's series (an event or
  programme name without its year), whether they spoke there, their share of that series, same
  exact event;
* activity - number of documents, years since their last document (relative to the newest
  document at fit time, never to the query).

A fixed linear blend ranks everyone; when document times are given and the data is large enough,
``fit`` builds a validation split from the fitted documents themselves (each person's latest
document held out, exactly like the evaluation protocol) and trains a small gradient-boosted
re-ranker over the blend's top candidates. Deterministic: fixed seeds, ties broken by person id.

A fitted finder is plain arrays: ``to_arrays()`` gives a dict of numpy arrays (numbers, and
strings as UTF-8 bytes with offsets) that ``numpy.savez`` stores and ``np.load(...,
allow_pickle=False)`` reads back; ``ExpertFinder.from_arrays`` rebuilds a finder that ranks
exactly as the fitted one. The re-ranker's trees are kept as flat node arrays (``_Trees``) and
evaluated here, so nothing of scikit-learn's object layout is stored.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

__all__ = [
    "ExpertFinder",
    "holdout_latest",
    "meta_series",
]

# Weights of the first-stage linear blend (chosen on the pyvideo validation split).
DEFAULT_WEIGHTS: dict[str, float] = {
    "cent": 1.0,
    "max": 1.0,
    "bm25": 0.5,
    "ser_frac": 0.2,
    "ser_any": 0.1,
    "logn": 0.1,
}

_YEAR = re.compile(r"[\s_\-/]*(?:19|20)\d\d(?:[\s_\-/]*\d{1,2}){0,2}\s*$")


def meta_series(meta: str | None) -> str:
    """The series of an event/programme name: lower-cased, trailing year (and month) removed.

    ``"pycon-us-2019"`` → ``"pycon-us"``; ``"PyData Berlin 2017"`` → ``"pydata berlin"``.
    """
    if not meta:
        return ""
    text = meta.strip().lower()
    return _YEAR.sub("", text).strip() or text


def holdout_latest(
    doc_people: list[list[int]], doc_order: np.ndarray, min_docs: int = 2
) -> tuple[np.ndarray, list[int], list[list[int]]]:
    """The evaluation protocol's split.

    Every person with ``>= min_docs`` documents has their latest document (largest
    ``doc_order``; ties by document index) held out; held-out documents are hidden from every
    profile. Returns ``(train_docs, query_docs, relevant)``: ``train_docs`` the remaining
    document indices, ``query_docs`` the held-out documents that keep at least one relevant person
    to rank, ``relevant[i]`` the people whose held-out document is ``query_docs[i]`` and who keep
    >= 1 document.
    """
    n_docs = len(doc_people)
    order = np.asarray(doc_order)
    counts: dict[int, int] = {}
    for people in doc_people:
        for p in people:
            counts[p] = counts.get(p, 0) + 1
    latest: dict[int, int] = {}
    for d in range(n_docs):
        for p in doc_people[d]:
            if counts[p] >= min_docs:
                cur = latest.get(p)
                if cur is None or (order[d], d) > (order[cur], cur):
                    latest[p] = d
    held = sorted(set(latest.values()))
    held_set = set(held)
    train_docs = np.array([d for d in range(n_docs) if d not in held_set], dtype=np.int64)
    remaining: set[int] = {p for d in train_docs for p in doc_people[d]}
    query_docs: list[int] = []
    relevant: list[list[int]] = []
    for d in held:
        rel = sorted(p for p in doc_people[d] if latest.get(p) == d and p in remaining)
        if rel:
            query_docs.append(d)
            relevant.append(rel)
    return train_docs, query_docs, relevant


@dataclass
class _Fitted:
    n_people: int
    X: sp.csr_matrix  # (docs + skill pseudo-docs) x terms, rows l2-normalised
    pair_person: np.ndarray  # sorted by person: the (person, row of X) incidence
    pair_row: np.ndarray
    person_start: np.ndarray  # for np.maximum.reduceat over pairs (people with rows only)
    people_with_rows: np.ndarray
    P: sp.csr_matrix  # people x terms, l2-normalised profiles
    W: sp.csr_matrix  # people x unigram, BM25 weights
    n_docs: np.ndarray  # real documents per person
    ser_counts: sp.csr_matrix  # people x series
    ser_size: np.ndarray
    ser_index: dict[str, int]
    ev_counts: sp.csr_matrix  # people x exact meta
    ev_index: dict[str, int]
    years_idle: np.ndarray  # per person, years since their last document (inf = never)
    is_skill_row: np.ndarray
    row_doc: np.ndarray  # X row → original document index (-1 for skill rows)
    XT: sp.csr_matrix | None  # documents x title terms
    XG: sp.csr_matrix | None  # documents x tags
    XL: np.ndarray | None  # rows of X in the latent space (l2-normalised)
    doc_pair_doc: np.ndarray  # (person, document) pairs sorted by person, real documents only
    doc_person_start: np.ndarray
    people_with_docs: np.ndarray


@dataclass
class ExpertFinder:
    """Rank people for a query text (expertise finding).

    ``fit(docs_text, doc_people, doc_time=None, doc_meta=None, people_text=None, doc_titles=None,
    n_people=None)``; ``rank(query_text, query_meta=None, k=10)`` → ``(person_ids, scores)``;
    ``to_arrays()`` / ``ExpertFinder.from_arrays(arrays)`` store and restore a fitted finder.
    """

    min_df: int = 2
    k1: float = 1.2
    b: float = 0.75
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    rerank: bool = True
    candidates: int = 200
    min_tune_queries: int = 200
    lsa_dims: int = 150
    tune_levels: int = 1
    seed: int = 0
    name: str = "experts"

    # -- fitting ----------------------------------------------------------------------------------
    def fit(
        self,
        docs_text: list[str],
        doc_people: list[list[int]],
        doc_time: np.ndarray | None = None,
        doc_meta: list[str] | None = None,
        people_text: list[str] | None = None,
        doc_titles: list[str] | None = None,
        n_people: int | None = None,
        doc_tags: list[list[str]] | None = None,
    ) -> ExpertFinder:
        if len(docs_text) != len(doc_people):
            raise ValueError("docs_text and doc_people differ in length")
        n = n_people
        if n is None:
            n = max([p for ps in doc_people for p in ps], default=-1) + 1
            if people_text is not None:
                n = max(n, len(people_text))
        self.reranker_: _Trees | None = None
        self.tuning_queries_ = 0
        if self.rerank and doc_time is not None:  # first: its inner model is freed before _build
            self._tune_reranker(
                docs_text, doc_people, np.asarray(doc_time), doc_meta, doc_titles, doc_tags, n
            )
        self.fitted_ = self._build(
            docs_text, doc_people, doc_time, doc_meta, people_text, doc_titles, doc_tags, n
        )
        return self

    def _vectorizer(self, n_docs: int) -> TfidfVectorizer:
        return TfidfVectorizer(
            sublinear_tf=True,
            ngram_range=(1, 2),
            stop_words="english",
            min_df=self.min_df if n_docs >= 50 else 1,
            dtype=np.float32,
        )

    def _build(
        self,
        docs_text: list[str],
        doc_people: list[list[int]],
        doc_time: np.ndarray | None,
        doc_meta: list[str] | None,
        people_text: list[str] | None,
        doc_titles: list[str] | None,
        doc_tags: list[list[str]] | None,
        n: int,
    ) -> _Fitted:
        rows_text = list(docs_text)
        rows_people = [list(ps) for ps in doc_people]
        row_doc = list(range(len(docs_text)))
        skill_rows = [False] * len(docs_text)
        if people_text is not None:
            for p, txt in enumerate(people_text):
                if txt and txt.strip():
                    rows_text.append(txt)
                    rows_people.append([p])
                    row_doc.append(-1)
                    skill_rows.append(True)
        self.vectorizer_ = self._vectorizer(len(rows_text))
        try:
            X = self.vectorizer_.fit_transform(rows_text).tocsr()
        except ValueError:  # empty vocabulary (no text at all)
            self.vectorizer_ = TfidfVectorizer(analyzer="char", dtype=np.float32)
            X = self.vectorizer_.fit_transform([t or " " for t in rows_text] or [" "]).tocsr()
        self.terms_ = self.vectorizer_.get_feature_names_out()
        pr = np.array([p for ps in rows_people for p in ps], dtype=np.int64)
        pc = np.array([r for r, ps in enumerate(rows_people) for _ in ps], dtype=np.int64)
        order = np.lexsort((pc, pr))
        pr, pc = pr[order], pc[order]
        A = sp.csr_matrix((np.ones(len(pr), np.float32), (pr, pc)), shape=(n, X.shape[0]))
        P = normalize(A @ X).tocsr()
        with_rows, start = np.unique(pr, return_index=True)

        # BM25 over each person's concatenated text (unigrams).
        self.counter_ = CountVectorizer(stop_words="english", dtype=np.float32)
        try:
            C = self.counter_.fit_transform(rows_text)
        except ValueError:
            self.counter_ = CountVectorizer(analyzer="char", dtype=np.float32)
            C = self.counter_.fit_transform([t or " " for t in rows_text] or [" "])
        D = (A @ C).tocoo()
        dl = np.asarray((A @ C).sum(axis=1)).ravel()
        avg = float(dl[dl > 0].mean()) if (dl > 0).any() else 1.0
        dfreq = np.bincount(D.col, minlength=C.shape[1]).astype(np.float64)
        n_prof = max(int((dl > 0).sum()), 1)
        idf = np.log(1.0 + (n_prof - dfreq + 0.5) / (dfreq + 0.5)).astype(np.float32)
        w = (
            D.data
            * (self.k1 + 1)
            / (D.data + self.k1 * (1 - self.b + self.b * dl[D.row] / avg))
            * idf[D.col]
        )
        W = sp.csr_matrix((w.astype(np.float32), (D.row, D.col)), shape=D.shape)

        n_docs_arr = np.zeros(n, dtype=np.float32)
        for ps in doc_people:
            for p in ps:
                n_docs_arr[p] += 1

        metas = list(doc_meta) if doc_meta is not None else [""] * len(docs_text)
        series = [meta_series(m) for m in metas]
        ser_index = {s: i for i, s in enumerate(sorted({s for s in series if s}))}
        ev_index = {
            m: i for i, m in enumerate(sorted({(m or "").strip().lower() for m in metas} - {""}))
        }
        sr, sc, er, ec = [], [], [], []
        for d, ps in enumerate(doc_people):
            for p in ps:
                if series[d]:
                    sr.append(p)
                    sc.append(ser_index[series[d]])
                key = (metas[d] or "").strip().lower()
                if key:
                    er.append(p)
                    ec.append(ev_index[key])
        ser_counts = sp.csr_matrix(
            (np.ones(len(sr), np.float32), (sr, sc)), shape=(n, max(len(ser_index), 1))
        )
        ev_counts = sp.csr_matrix(
            (np.ones(len(er), np.float32), (er, ec)), shape=(n, max(len(ev_index), 1))
        )
        ser_size = np.zeros(max(len(ser_index), 1), dtype=np.float32)
        for s in series:
            if s:
                ser_size[ser_index[s]] += 1

        years_idle = np.full(n, np.inf, dtype=np.float32)
        if doc_time is not None and len(docs_text):
            t = np.asarray(doc_time, dtype=np.float64)
            now = float(t.max())
            last = np.full(n, -np.inf)
            for d, ps in enumerate(doc_people):
                for p in ps:
                    last[p] = max(last[p], t[d])
            years_idle = ((now - last) / (365.25 * 86400)).astype(np.float32)

        titles = list(doc_titles) if doc_titles is not None else [_first_line(t) for t in docs_text]
        # Title-only and tag-only spaces (per real document), a latent (LSA) space over all rows.
        self.title_vec_ = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
        try:
            XT = self.title_vec_.fit_transform(titles).tocsr()
        except ValueError:
            self.title_vec_, XT = None, None
        tags = [list(t) for t in doc_tags] if doc_tags is not None else [[] for _ in docs_text]
        self.tag_vec_ = TfidfVectorizer(analyzer=_tag_analyzer, dtype=np.float32)
        try:
            XG = self.tag_vec_.fit_transform(tags).tocsr()
        except ValueError:
            self.tag_vec_, XG = None, None
        self.lsa_basis_: np.ndarray | None = None
        XL = None
        if self.lsa_dims and X.shape[0] >= 4 * self.lsa_dims and X.shape[1] > self.lsa_dims:
            svd = TruncatedSVD(self.lsa_dims, n_iter=4, random_state=self.seed)
            XL = normalize(svd.fit_transform(X)).astype(np.float32)
            # svd.transform would copy the (terms x dims) components on every call.
            self.lsa_basis_ = np.ascontiguousarray(svd.components_.T, dtype=np.float32)
        # Pairs restricted to real documents (titles and tags exist only for them).
        real = row_doc_arr = np.array(row_doc, dtype=np.int64)
        dmask = real[pc] >= 0
        dpr, dpc = pr[dmask], real[pc[dmask]]
        d_with, d_start = np.unique(dpr, return_index=True)
        return _Fitted(
            n_people=n,
            X=X,
            pair_person=pr,
            pair_row=pc,
            person_start=start,
            people_with_rows=with_rows,
            P=P,
            W=W,
            n_docs=n_docs_arr,
            ser_counts=ser_counts,
            ser_size=ser_size,
            ser_index=ser_index,
            ev_counts=ev_counts,
            ev_index=ev_index,
            years_idle=years_idle,
            is_skill_row=np.array(skill_rows, dtype=bool),
            row_doc=row_doc_arr,
            XT=XT,
            XG=XG,
            XL=XL,
            doc_pair_doc=dpc,
            doc_person_start=d_start,
            people_with_docs=d_with,
        )

    # -- features ---------------------------------------------------------------------------------
    def _features(
        self,
        f: _Fitted,
        queries: list[str],
        metas: list[str | None],
        tags: list[list[str] | None] | None = None,
    ) -> dict[str, np.ndarray]:
        """Dense (n_queries x n_people) feature matrices."""
        nq, n = len(queries), f.n_people
        Q = self.vectorizer_.transform(queries)
        feats: dict[str, np.ndarray] = {}
        feats["cent"] = _dot(Q, f.P)
        mx = np.zeros((nq, n), dtype=np.float32)
        mx2 = np.zeros((nq, n), dtype=np.float32)
        lsa = np.zeros((nq, n), dtype=np.float32)
        if len(f.pair_row):
            G = _dot(Q, f.X)[:, f.pair_row]
            top = np.maximum.reduceat(G, f.person_start, axis=1)
            mx[:, f.people_with_rows] = top
            # Second-best row: the best among rows below the best (ties count as one).
            counts = np.diff(np.append(f.person_start, len(f.pair_row)))
            G2 = np.where(np.repeat(top, counts, axis=1) > G, G, 0.0)
            mx2[:, f.people_with_rows] = np.maximum.reduceat(G2, f.person_start, axis=1)
            if f.XL is not None and self.lsa_basis_ is not None:
                ZQ = normalize(np.asarray(Q @ self.lsa_basis_)).astype(np.float32)
                L = (ZQ @ f.XL.T)[:, f.pair_row]
                lsa[:, f.people_with_rows] = np.maximum.reduceat(L, f.person_start, axis=1)
        feats["max"] = mx
        feats["max2"] = mx2
        feats["lsa"] = lsa
        title = np.zeros((nq, n), dtype=np.float32)
        tag = np.zeros((nq, n), dtype=np.float32)
        if len(f.doc_pair_doc):
            if f.XT is not None and self.title_vec_ is not None:
                QT = self.title_vec_.transform([_first_line(q) for q in queries])
                G = _dot(QT, f.XT)[:, f.doc_pair_doc]
                title[:, f.people_with_docs] = np.maximum.reduceat(G, f.doc_person_start, axis=1)
            if f.XG is not None and self.tag_vec_ is not None:
                qtags = [
                    list(t) if t is not None else self._text_tags(q)
                    for q, t in zip(queries, tags if tags is not None else [None] * nq, strict=True)
                ]
                QG = self.tag_vec_.transform(qtags)
                G = _dot(QG, f.XG)[:, f.doc_pair_doc]
                tag[:, f.people_with_docs] = np.maximum.reduceat(G, f.doc_person_start, axis=1)
        feats["title"] = title
        feats["tags"] = tag
        Cq = self.counter_.transform(queries)
        Cq.data[:] = 1.0
        bm = _dot(Cq, f.W)
        feats["bm25"] = bm / np.maximum(bm.max(axis=1, keepdims=True), 1e-9)
        n_docs = f.n_docs[None, :]
        feats["logn"] = np.broadcast_to(
            np.log1p(f.n_docs)[None, :] / np.log1p(max(f.n_docs.max(), 1)), (nq, n)
        )
        qs = [f.ser_index.get(meta_series(m), -1) for m in metas]
        qe = [f.ev_index.get((m or "").strip().lower(), -1) for m in metas]
        ser = _dot(_onehot(qs, f.ser_counts.shape[1]), f.ser_counts)
        size = np.array([f.ser_size[s] if s >= 0 else 1.0 for s in qs], dtype=np.float32)[:, None]
        same = _dot(_onehot(qe, f.ev_counts.shape[1]), f.ev_counts)
        feats["ser_frac"] = ser / np.maximum(n_docs, 1.0)
        feats["ser_any"] = (ser > 0).astype(np.float32)
        feats["ser_log"] = np.log1p(ser)
        feats["ser_share"] = ser / np.maximum(size, 1.0)
        feats["ev_same"] = same
        feats["n_docs"] = np.broadcast_to(n_docs, (nq, n))
        feats["idle"] = np.broadcast_to(np.minimum(f.years_idle, 50.0)[None, :], (nq, n))
        return feats

    def _text_tags(self, text: str) -> list[str]:
        """Tags of the fitted vocabulary that occur in a free text (for queries without tags)."""
        if self.tag_vec_ is None:
            return []
        vocab = self.tag_vec_.vocabulary_
        words = re.findall(r"[\w+#.]+", text.lower())
        grams = set(words) | {f"{a} {b}" for a, b in itertools.pairwise(words)}
        grams |= {f"{a}-{b}" for a, b in itertools.pairwise(words)}
        return sorted(g for g in grams if g in vocab)

    def _first_stage(self, feats: dict[str, np.ndarray]) -> np.ndarray:
        s = np.zeros_like(feats["cent"])
        for k, w in self.weights.items():
            if w:
                s += w * feats[k]
        return s

    _RERANK_FEATURES = (
        "cent",
        "max",
        "bm25",
        "ser_frac",
        "ser_any",
        "ser_log",
        "ser_share",
        "ev_same",
        "n_docs",
        "idle",
        "max2",
        "title",
        "tags",
        "lsa",
    )

    def _pair_matrix(
        self, feats: dict[str, np.ndarray], first: np.ndarray, cand: np.ndarray
    ) -> np.ndarray:
        """(n_queries, K, n_features) for the candidates ``cand`` (n_queries x K) of each query."""
        rows = np.arange(cand.shape[0])[:, None]
        cols = [feats[k][rows, cand] for k in self._RERANK_FEATURES]
        fs = first[rows, cand]
        cols.append(fs)
        cols.append(np.broadcast_to(np.arange(cand.shape[1], dtype=np.float32), cand.shape))
        for k in ("cent", "max", "bm25"):
            v = feats[k][rows, cand]
            cols.append(v - v.max(axis=1, keepdims=True))
        return np.stack(cols, axis=2).astype(np.float32)

    def _tune_reranker(
        self,
        docs_text: list[str],
        doc_people: list[list[int]],
        doc_time: np.ndarray,
        doc_meta: list[str] | None,
        doc_titles: list[str] | None,
        doc_tags: list[list[str]] | None,
        n: int,
    ) -> None:
        X: list[np.ndarray] = []
        y: list[np.ndarray] = []
        docs = np.arange(len(docs_text))
        queries = 0
        for level in range(max(self.tune_levels, 1)):
            # Level 0: each person's latest document held out; level 1: the same applied again to
            # what remains (their second-latest), and so on: more examples, same protocol.
            people_l = [doc_people[d] for d in docs]
            train_l, query_l, relevant = holdout_latest(people_l, doc_time[docs])
            if len(query_l) < self.min_tune_queries:
                if level == 0:
                    return
                break
            train_docs = docs[train_l]
            query_docs = [int(docs[q]) for q in query_l]
            queries += len(query_docs)
            self._validation_pairs(
                docs_text,
                doc_people,
                doc_time,
                doc_meta,
                doc_titles,
                doc_tags,
                n,
                train_docs,
                query_docs,
                relevant,
                X,
                y,
            )
            docs = train_docs
        Xa, ya = np.concatenate(X), np.concatenate(y).astype(np.int8)
        if ya.sum() < 20:
            return
        model = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=self.seed
        )
        # One thread: on a shared 2-core machine OpenMP's spinning threads cost 5-10x wall time.
        with threadpool_limits(1):
            model.fit(Xa, ya)
        self.reranker_ = _Trees.from_model(model)
        self.tuning_queries_ = queries

    def _validation_pairs(
        self,
        docs_text: list[str],
        doc_people: list[list[int]],
        doc_time: np.ndarray,
        doc_meta: list[str] | None,
        doc_titles: list[str] | None,
        doc_tags: list[list[str]] | None,
        n: int,
        train_docs: np.ndarray,
        query_docs: list[int],
        relevant: list[list[int]],
        X: list[np.ndarray],
        y: list[np.ndarray],
    ) -> None:
        """Features and labels of the first stage's top candidates for one validation split."""
        sub = _Subset(train_docs, docs_text, doc_people, doc_time, doc_meta, doc_titles, doc_tags)
        inner = ExpertFinder(
            min_df=self.min_df,
            k1=self.k1,
            b=self.b,
            weights=dict(self.weights),
            rerank=False,
            lsa_dims=self.lsa_dims,
            seed=self.seed,
        )
        f = inner._build(sub.text, sub.people, sub.time, sub.meta, None, sub.titles, sub.tags, n)
        qs = [docs_text[d] for d in query_docs]
        qm = [doc_meta[d] if doc_meta is not None else None for d in query_docs]
        qt = [list(doc_tags[d]) if doc_tags is not None else None for d in query_docs]
        for lo in range(0, len(qs), 256):
            feats = inner._features(f, qs[lo : lo + 256], qm[lo : lo + 256], qt[lo : lo + 256])
            first = inner._first_stage(feats)
            cand = _top(first, self.candidates)
            X.append(
                inner._pair_matrix(feats, first, cand).reshape(-1, len(self._RERANK_FEATURES) + 5)
            )
            rel = relevant[lo : lo + 256]
            y.append(np.concatenate([np.isin(c, r) for c, r in zip(cand, rel, strict=True)]))

    # -- ranking ----------------------------------------------------------------------------------
    def scores_many(
        self,
        queries: list[str],
        metas: list[str | None] | None = None,
        tags: list[list[str] | None] | None = None,
        batch: int = 256,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query, every person in rank order with a score (higher = better).

        Returns ``[(person_ids, scores)]``; people ranked by the re-ranker (when fitted) come first,
        then the rest by the first-stage blend. Ties are broken by person id.
        """
        f = self.fitted_
        metas = list(metas) if metas is not None else [None] * len(queries)
        qtags: list[list[str] | None] = list(tags) if tags is not None else [None] * len(queries)
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for lo in range(0, len(queries), batch):
            feats = self._features(
                f, queries[lo : lo + batch], metas[lo : lo + batch], qtags[lo : lo + batch]
            )
            first = self._first_stage(feats)
            order = np.argsort(-first, axis=1, kind="stable")
            if self.reranker_ is None:
                for q in range(first.shape[0]):
                    out.append((order[q], first[q, order[q]]))
                continue
            k = min(self.candidates, f.n_people)
            cand = order[:, :k]
            pm = self._pair_matrix(feats, first, cand)
            prob = self.reranker_.predict_proba(pm.reshape(-1, pm.shape[2])).reshape(cand.shape)
            for q in range(first.shape[0]):
                o = np.argsort(-prob[q], kind="stable")
                head = cand[q, o]
                rest = order[q, k:]
                # Re-ranked probabilities sit above every first-stage score of the rest.
                base = float(first[q, rest].max()) + 1.0 if len(rest) else 0.0
                out.append(
                    (
                        np.concatenate([head, rest]),
                        np.concatenate([base + prob[q, o], first[q, rest]]).astype(np.float32),
                    )
                )
        return out

    def rank(
        self,
        query_text: str,
        query_meta: str | None = None,
        k: int = 10,
        exclude: list[int] | np.ndarray | None = None,
        allowed: list[int] | np.ndarray | None = None,
        query_tags: list[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` people for a query: ``(person_ids, scores)``, best first.

        ``exclude``: people never returned (e.g. the requester); ``allowed``: if given, only these.
        People with no document and no skills text never match on text but may on metadata.
        """
        ids, scores = self.scores_many([query_text], [query_meta], [query_tags])[0]
        keep = np.ones(len(ids), dtype=bool)
        if exclude is not None and len(exclude):
            keep &= ~np.isin(ids, np.asarray(exclude))
        if allowed is not None:
            keep &= np.isin(ids, np.asarray(allowed))
        ids, scores = ids[keep], scores[keep]
        return ids[:k], scores[:k]

    # -- stored as arrays -------------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted finder as named numpy arrays (no objects: ``numpy.savez`` stores them and
        ``np.load(..., allow_pickle=False)`` reads them); ``from_arrays`` is the inverse."""
        f = self.fitted_
        params = {
            field.name: getattr(self, field.name) for field in dataclasses.fields(ExpertFinder)
        }
        out: dict[str, np.ndarray] = {
            "format": np.array(STATE_FORMAT),
            "params": _json_array({**params, "tuning_queries": self.tuning_queries_}),
        }
        for name, vectorizer in (
            ("vectorizer", self.vectorizer_),
            ("counter", self.counter_),
            ("title_vec", self.title_vec_),
            ("tag_vec", self.tag_vec_),
        ):
            if vectorizer is not None:
                out.update(_vectorizer_arrays(name, vectorizer))
        if self.lsa_basis_ is not None:
            out["lsa_basis"] = self.lsa_basis_
        if self.reranker_ is not None:
            out.update(self.reranker_.to_arrays("reranker"))
        out["f.n_people"] = np.array(f.n_people, dtype=np.int64)
        for name in _FITTED_SPARSE:
            matrix = getattr(f, name)
            if matrix is not None:
                out.update(_sparse_arrays(f"f.{name}", matrix))
        for name in _FITTED_ARRAYS:
            value = getattr(f, name)
            if value is not None:
                out[f"f.{name}"] = value
        for name in ("ser_index", "ev_index"):
            index: dict[str, int] = getattr(f, name)
            out.update(_string_arrays(f"f.{name}", sorted(index, key=index.__getitem__)))
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> ExpertFinder:
        """A fitted finder from ``to_arrays``' output: ranks exactly as the original did."""
        if int(arrays["format"]) != STATE_FORMAT:
            raise ValueError(f"unknown finder format {int(arrays['format'])}")
        params = json.loads(str(arrays["params"]))
        tuning_queries = params.pop("tuning_queries")
        finder = cls(**params)
        finder.tuning_queries_ = tuning_queries
        finder.vectorizer_ = _vectorizer_from(arrays, "vectorizer")
        finder.terms_ = np.asarray(_strings_from(arrays, "vectorizer.terms"), dtype=object)
        finder.counter_ = _vectorizer_from(arrays, "counter")
        finder.title_vec_ = (
            _vectorizer_from(arrays, "title_vec") if "title_vec.params" in arrays else None
        )
        finder.tag_vec_ = (
            _vectorizer_from(arrays, "tag_vec") if "tag_vec.params" in arrays else None
        )
        finder.lsa_basis_ = arrays.get("lsa_basis")
        finder.reranker_ = (
            _Trees.from_arrays(arrays, "reranker") if "reranker.value" in arrays else None
        )
        values: dict[str, object] = {"n_people": int(arrays["f.n_people"])}
        for name in _FITTED_SPARSE:
            values[name] = _sparse_from(arrays, f"f.{name}") if f"f.{name}.data" in arrays else None
        for name in _FITTED_ARRAYS:
            values[name] = arrays.get(f"f.{name}")
        for name in ("ser_index", "ev_index"):
            values[name] = {key: i for i, key in enumerate(_strings_from(arrays, f"f.{name}"))}
        finder.fitted_ = _Fitted(**values)  # type: ignore[arg-type]
        return finder


def _dot(Q: sp.spmatrix, M: sp.csr_matrix) -> np.ndarray:
    """Dense ``Q @ M.T`` computed as ``(M @ Q.T).T``: transposing the few query rows is cheap,
    transposing the large fitted matrix on every call is not (for a big batch it is amortised, and
    the direct product keeps memory lower)."""
    if Q.shape[0] > 32:
        return np.asarray((Q @ M.T).todense(), dtype=np.float32)
    return np.ascontiguousarray(np.asarray((M @ Q.T.tocsc()).todense(), dtype=np.float32).T)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, scores.shape[1])
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _tag_analyzer(tags: list[str]) -> list[str]:
    """Tags as tokens: lower-cased, stripped, de-duplicated (stored by name: ``"tags"``)."""
    return sorted({t.strip().lower() for t in tags if t and t.strip()})


def _onehot(index: list[int], width: int) -> sp.csr_matrix:
    """One row per entry, a 1 in column ``index[i]`` (no 1 for -1)."""
    rows = [i for i, c in enumerate(index) if c >= 0]
    cols = [c for c in index if c >= 0]
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(index), width))


def _first_line(text: str) -> str:
    line = (text or "").strip().split("\n", 1)[0].strip()
    return line[:120]


class _Subset:
    """The fitted documents restricted to ``docs`` (for the internal validation split)."""

    def __init__(
        self,
        docs: np.ndarray,
        text: list[str],
        people: list[list[int]],
        time: np.ndarray,
        meta: list[str] | None,
        titles: list[str] | None,
        tags: list[list[str]] | None,
    ) -> None:
        self.text = [text[d] for d in docs]
        self.people = [people[d] for d in docs]
        self.time = time[docs]
        self.meta = [meta[d] for d in docs] if meta is not None else None
        self.titles = [titles[d] for d in docs] if titles is not None else None
        self.tags = [tags[d] for d in docs] if tags is not None else None


# -- stored as arrays ------------------------------------------------------------------------------

STATE_FORMAT = 1  # bump when the arrays change meaning; an older index is then not loaded
_FITTED_SPARSE = ("X", "P", "W", "ser_counts", "ev_counts", "XT", "XG")
_FITTED_ARRAYS = (
    "pair_person",
    "pair_row",
    "person_start",
    "people_with_rows",
    "n_docs",
    "ser_size",
    "years_idle",
    "is_skill_row",
    "row_doc",
    "XL",
    "doc_pair_doc",
    "doc_person_start",
    "people_with_docs",
)
_VECTORIZERS = {"TfidfVectorizer": TfidfVectorizer, "CountVectorizer": CountVectorizer}


@dataclass
class _Trees:
    """The re-ranker's gradient-boosted trees as flat node arrays (every tree's nodes one after
    the other, child indices global). P(relevant) = expit(baseline + the sum of each tree's leaf
    value), evaluated as scikit-learn's predictor does for numerical splits: ``x <= threshold``
    goes left, a missing value (NaN) where ``missing_left`` says; leaf values added tree by tree
    in float64 from the baseline, so the probabilities are the fitted model's to the last bit."""

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    baseline: float

    _FIELDS = ("feature", "threshold", "missing_left", "left", "right", "is_leaf", "value", "roots")
    _BATCH = 4096  # rows per step: the (rows x trees) node matrix stays a few MB

    @classmethod
    def from_model(cls, model: HistGradientBoostingClassifier) -> _Trees:
        trees = [iteration[0].nodes for iteration in model._predictors]  # binary: one per step
        sizes = np.array([len(t) for t in trees], dtype=np.int64)
        roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        nodes = np.concatenate(trees)
        if nodes["is_categorical"].any():  # never: every feature is numerical
            raise ValueError("categorical splits are not supported")
        shift = np.repeat(roots, sizes)
        return cls(
            feature=nodes["feature_idx"].astype(np.int64),
            threshold=nodes["num_threshold"].astype(np.float64),
            missing_left=nodes["missing_go_to_left"].astype(bool),
            left=nodes["left"].astype(np.int64) + shift,
            right=nodes["right"].astype(np.int64) + shift,
            is_leaf=nodes["is_leaf"].astype(bool),
            value=nodes["value"].astype(np.float64),
            roots=roots,
            baseline=float(np.asarray(model._baseline_prediction).ravel()[0]),
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(relevant) per row of ``X`` (n_rows x n_features)."""
        X = np.asarray(X, dtype=np.float64)
        out = np.empty(len(X), dtype=np.float64)
        for lo in range(0, len(X), self._BATCH):
            out[lo : lo + self._BATCH] = self._predict(X[lo : lo + self._BATCH])
        return out

    def _predict(self, X: np.ndarray) -> np.ndarray:
        n_trees = len(self.roots)
        node = np.tile(self.roots, len(X))  # row-major: (row, tree) -> row * n_trees + tree
        row = np.repeat(np.arange(len(X)), n_trees)
        active = np.flatnonzero(~self.is_leaf[node])
        while len(active):  # only the paths still inside a tree move down a level
            at = node[active]
            x = X[row[active], self.feature[at]]
            left = np.where(np.isnan(x), self.missing_left[at], x <= self.threshold[at])
            at = np.where(left, self.left[at], self.right[at])
            node[active] = at
            active = active[~self.is_leaf[at]]
        leaves = self.value[node].reshape(len(X), n_trees)
        raw = np.zeros(len(X), dtype=np.float64)
        raw += self.baseline
        for tree in range(n_trees):  # in order, as scikit-learn sums them
            raw += leaves[:, tree]
        return expit(raw)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        out = {f"{prefix}.{name}": getattr(self, name) for name in self._FIELDS}
        out[f"{prefix}.baseline"] = np.array(self.baseline, dtype=np.float64)
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> _Trees:
        return cls(
            **{name: arrays[f"{prefix}.{name}"] for name in cls._FIELDS},
            baseline=float(arrays[f"{prefix}.baseline"]),
        )


def _json_array(value: object) -> np.ndarray:
    # Keys keep their order: the blend adds its weights in the order of ``weights`` (float32
    # sums in another order differ in the last bit).
    return np.array(json.dumps(value))


def _string_arrays(prefix: str, values: list[str]) -> dict[str, np.ndarray]:
    """Strings as their UTF-8 bytes end to end and where each ends (exact, whatever they hold)."""
    encoded = [v.encode() for v in values]
    return {
        f"{prefix}.bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        f"{prefix}.ends": np.cumsum([len(b) for b in encoded], dtype=np.int64),
    }


def _strings_from(arrays: Mapping[str, np.ndarray], prefix: str) -> list[str]:
    data = arrays[f"{prefix}.bytes"].tobytes()
    ends = arrays[f"{prefix}.ends"].tolist()
    return [data[a:b].decode() for a, b in zip([0, *ends][:-1], ends, strict=True)]


def _sparse_arrays(prefix: str, matrix: sp.spmatrix) -> dict[str, np.ndarray]:
    m = sp.csr_matrix(matrix)
    return {
        f"{prefix}.data": m.data,
        f"{prefix}.indices": m.indices,
        f"{prefix}.indptr": m.indptr,
        f"{prefix}.shape": np.array(m.shape, dtype=np.int64),
    }


def _sparse_from(arrays: Mapping[str, np.ndarray], prefix: str) -> sp.csr_matrix:
    shape = tuple(int(n) for n in arrays[f"{prefix}.shape"])
    return sp.csr_matrix(
        (arrays[f"{prefix}.data"], arrays[f"{prefix}.indices"], arrays[f"{prefix}.indptr"]),
        shape=shape,
    )


def _vectorizer_arrays(
    prefix: str, vectorizer: TfidfVectorizer | CountVectorizer
) -> dict[str, np.ndarray]:
    """A fitted vectorizer as its parameters, its terms in column order and (TF-IDF) its idf."""
    params = vectorizer.get_params()
    if callable(params["analyzer"]):
        if params["analyzer"] is not _tag_analyzer:
            raise ValueError("only the tag analyzer is stored by name")
        params["analyzer"] = "tags"
    params["dtype"] = np.dtype(params["dtype"]).name
    vocabulary = vectorizer.vocabulary_
    out = {
        f"{prefix}.params": _json_array({"class": type(vectorizer).__name__, **params}),
        **_string_arrays(f"{prefix}.terms", sorted(vocabulary, key=vocabulary.__getitem__)),
    }
    if isinstance(vectorizer, TfidfVectorizer):
        out[f"{prefix}.idf"] = vectorizer.idf_
    return out


def _vectorizer_from(
    arrays: Mapping[str, np.ndarray], prefix: str
) -> TfidfVectorizer | CountVectorizer:
    params = json.loads(str(arrays[f"{prefix}.params"]))
    kind = _VECTORIZERS[params.pop("class")]
    if params["analyzer"] == "tags":
        params["analyzer"] = _tag_analyzer
    params["dtype"] = getattr(np, params["dtype"])
    params["ngram_range"] = tuple(params["ngram_range"])
    terms = _strings_from(arrays, f"{prefix}.terms")
    params["vocabulary"] = {term: i for i, term in enumerate(terms)}
    vectorizer = kind(**params)
    vectorizer._validate_vocabulary()  # sets vocabulary_ as fit would
    if isinstance(vectorizer, TfidfVectorizer):
        vectorizer.idf_ = arrays[f"{prefix}.idf"]
    return vectorizer
