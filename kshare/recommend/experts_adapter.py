"""Who could host a topic: the engine's ``ExpertFinder`` fitted on the organisation, served cached.

Fitting (``experts_fit_and_store``): queued as ``experts_fit_task`` when a training run
finishes (a ``post_save`` receiver on ``TrainingRun``, so the training itself is not slowed). The
documents are the held sessions with their hosts — title, tags, abstract and transcript, the
programme as metadata, the start as time — and each active person's declared skills are their
own text, a skill's name repeated by its level (basic once, expert three times). The fitted
finder, the people and sessions its rows stand for and each session's mean overall rating are
stored as numpy arrays in one npz (``numpy.savez``) in one ``ExpertIndex`` row (only the newest is
kept); loading reads it with ``allow_pickle=False``, so the row holds data, never code.

Serving (``hosts_ranked``): the newest index is loaded once per process and kept while it is the
newest (one indexed query per call checks that); the finder ranks people by the topic's title,
description and tags; a talk rated well moves its host up a little (feedback); the requester,
the volunteers and inactive people are left out in the ranking. Reasons come from the finder's
explanation, told with the database's facts: "gave 'X' (rated 4.6)" for the best-matching
session the viewer may see, "skill: pandas (expert)" for a declared skill on the topic's tags or
words. A constant number of queries whatever the size of the organisation; never a refit.

Without any index (never trained, or an organisation too small to have talks) the callers use
the database scorer (``selectors.hosts_for``).
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np
from django.db import transaction
from django.db.models import Avg, Count
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.tasks import task
from django.utils.translation import gettext as _

from kshare.people.models import Person, Skill
from kshare.recommend.models import ExpertIndex, TrainingRun
from kshare.recommend.reasons import level_shown, one_decimal
from kshare.sessions.models import Session, SessionHost, State
from kshare.sessions.selectors import sessions_visible_to

if TYPE_CHECKING:  # scikit-learn is imported when a finder is fitted or loaded, not at start-up
    from kshare.recommend.engine.experts import ExpertFinder

logger = logging.getLogger(__name__)

ABSTRACT_CHARS = 1_500
TRANSCRIPT_CHARS = 2_000
CANDIDATES = 3  # times the number asked for, re-ordered by feedback then filtered
RATING_WEIGHT = 0.15  # per point of mean rating above (below) 3, on scores scaled to the best 1
_WORD = re.compile(r"[\w+#]+")


def _words(text: str) -> set[str]:
    """The lower-case words of ``text`` ("C++" and "C#" stay words)."""
    return set(_WORD.findall(text.lower()))


@dataclass
class ExpertData:
    """What the finder is fitted on, and what its rows stand for."""

    person_ids: list[int]
    session_ids: list[int]
    docs_text: list[str]
    doc_people: list[list[int]]
    doc_time: np.ndarray
    doc_meta: list[str]
    doc_titles: list[str]
    doc_tags: list[list[str]]
    people_text: list[str]
    ratings: dict[int, tuple[float, int]] = field(default_factory=dict)  # session -> mean, n


@dataclass
class FittedExperts:
    finder: ExpertFinder
    person_ids: list[int]
    session_ids: list[int]
    ratings: dict[int, tuple[float, int]]

    def __post_init__(self) -> None:
        self.index_of = {pk: i for i, pk in enumerate(self.person_ids)}
        self.ids = np.asarray(self.person_ids, dtype=np.int64)


@dataclass(frozen=True)
class RankedHost:
    person_id: int
    score: float
    talk_id: int | None  # the best-matching session by the finder's explanation, if a talk
    term: str | None = None  # the word of the query that matched the evidence best


def experts_data() -> ExpertData:
    """The organisation as the finder's arrays (seven queries)."""
    from kshare.feedback.models import Answer, Question
    from kshare.library.models import Transcript

    people = list(Person.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    index = {pk: i for i, pk in enumerate(people)}
    hosts: dict[int, list[int]] = defaultdict(list)
    for session_id, person_id in (
        SessionHost.objects.filter(session__state=State.HELD)
        .order_by("session_id", "person_id")
        .values_list("session_id", "person_id")
    ):
        if person_id in index:
            hosts[session_id].append(index[person_id])
    tags: dict[int, list[str]] = defaultdict(list)
    for session_id, name in (
        Session.tags.through.objects.filter(session__state=State.HELD)
        .order_by("session_id", "tag__name")
        .values_list("session_id", "tag__name")
    ):
        tags[session_id].append(name)
    transcripts: dict[int, str] = {}
    for session_id, text in Transcript.objects.filter(
        material__session__state=State.HELD
    ).values_list("material__session_id", "text"):
        if text and session_id not in transcripts:
            transcripts[session_id] = text[:TRANSCRIPT_CHARS]
    session_ids, texts, doc_people, times, metas, titles, doc_tags = [], [], [], [], [], [], []
    for pk, title, abstract, start, programme in (
        Session.objects.filter(state=State.HELD, pk__in=list(hosts))
        .order_by("pk")
        .values_list("pk", "title", "abstract", "start", "programme__name")
    ):
        session_ids.append(pk)
        names = tags.get(pk, [])
        texts.append(
            " ".join([title, *names, (abstract or "")[:ABSTRACT_CHARS], transcripts.get(pk, "")])
        )
        doc_people.append(hosts[pk])
        times.append(start.timestamp() if start else 0.0)
        metas.append(programme or "")
        titles.append(title)
        doc_tags.append(names)
    skills: list[list[str]] = [[] for _ in people]
    for person_id, name, level in Skill.objects.order_by("person_id", "tag__name").values_list(
        "person_id", "tag__name", "level"
    ):
        if person_id in index:
            skills[index[person_id]].extend([name] * int(level))
    ratings = {
        session_id: (float(mean), int(n))
        for session_id, mean, n in Answer.objects.filter(
            question__purpose=Question.Purpose.OVERALL,
            number__isnull=False,
            response__released=True,
            response__session__state=State.HELD,
        )
        .values_list("response__session_id")
        .annotate(mean=Avg("number"), n=Count("pk"))
        .order_by()
    }
    return ExpertData(
        person_ids=people,
        session_ids=session_ids,
        docs_text=texts,
        doc_people=doc_people,
        doc_time=np.asarray(times, dtype=np.float64),
        doc_meta=metas,
        doc_titles=titles,
        doc_tags=doc_tags,
        people_text=[" ".join(s) for s in skills],
        ratings=ratings,
    )


def experts_fit(data: ExpertData) -> FittedExperts | None:
    """The finder fitted on ``data``; ``None`` when nobody has a talk or a skill to rank by."""
    if not data.person_ids or not (data.docs_text or any(t.strip() for t in data.people_text)):
        return None
    from kshare.recommend.engine.experts import ExpertFinder

    finder = ExpertFinder().fit(
        data.docs_text,
        data.doc_people,
        doc_time=data.doc_time if len(data.docs_text) else None,
        doc_meta=data.doc_meta,
        people_text=data.people_text,
        doc_titles=data.doc_titles,
        n_people=len(data.person_ids),
        doc_tags=data.doc_tags,
    )
    return FittedExperts(
        finder=finder,
        person_ids=data.person_ids,
        session_ids=data.session_ids,
        ratings=data.ratings,
    )


def experts_fit_and_store(*, run: TrainingRun | None = None) -> ExpertIndex | None:
    """Fit on the organisation as it is now and replace the stored index (``None``: nothing to
    rank by, and any older index is removed so serving falls back to the database scorer)."""
    started = time.perf_counter()
    data = experts_data()
    loaded = time.perf_counter() - started
    fitted = experts_fit(data)
    if fitted is None:
        ExpertIndex.objects.all().delete()
        return None
    blob = experts_dumps(fitted)
    seconds = time.perf_counter() - started
    index = ExpertIndex.objects.create(
        run=run,
        data=blob,
        people=len(data.person_ids),
        talks=len(data.session_ids),
        details={
            "seconds": round(seconds, 3),
            "load_seconds": round(loaded, 3),
            "bytes": len(blob),
            "reranker": fitted.finder.reranker_ is not None,
        },
    )
    ExpertIndex.objects.exclude(pk=index.pk).delete()
    logger.info("Host finder fitted in %.1f s (%d people, %d talks)", seconds, *_sizes(data))
    return index


def _sizes(data: ExpertData) -> tuple[int, int]:
    return len(data.person_ids), len(data.session_ids)


@task
def experts_fit_task(run_id: int | None = None) -> int | None:
    """After a training run: refit the host finder; returns the new index's id."""
    run = TrainingRun.objects.filter(pk=run_id).first() if run_id else None
    index = experts_fit_and_store(run=run)
    return index.pk if index else None


@receiver(post_save, sender=TrainingRun, dispatch_uid="recommend_experts_after_training")
def _after_training(sender, instance: TrainingRun, created: bool, **kwargs) -> None:
    """A training run that finished queues the refit (after its transaction commits): the
    training stays as fast as it is, the worker fits the finder next."""
    if not created and instance.status == TrainingRun.Status.DONE:
        run_id = instance.pk
        transaction.on_commit(lambda: experts_fit_task.enqueue(run_id))


def experts_dumps(fitted: FittedExperts) -> bytes:
    """The fitted finder and what its rows stand for as one npz (arrays only, see the module)."""
    rated = sorted(fitted.ratings.items())
    arrays = {
        **{f"finder.{name}": value for name, value in fitted.finder.to_arrays().items()},
        "person_ids": np.asarray(fitted.person_ids, dtype=np.int64),
        "session_ids": np.asarray(fitted.session_ids, dtype=np.int64),
        "rated_sessions": np.asarray([pk for pk, _ in rated], dtype=np.int64),
        "rated_mean": np.asarray([mean for _, (mean, _) in rated], dtype=np.float64),
        "rated_n": np.asarray([n for _, (_, n) in rated], dtype=np.int64),
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def experts_loads(blob: bytes) -> FittedExperts:
    """``experts_dumps``' inverse; raises on anything but such an npz (an old pickled row too)."""
    from kshare.recommend.engine.experts import ExpertFinder

    with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    finder = ExpertFinder.from_arrays(
        {name[len("finder.") :]: v for name, v in arrays.items() if name.startswith("finder.")}
    )
    ratings = {
        int(pk): (float(mean), int(n))
        for pk, mean, n in zip(
            arrays["rated_sessions"].tolist(),
            arrays["rated_mean"].tolist(),
            arrays["rated_n"].tolist(),
            strict=True,
        )
    }
    return FittedExperts(
        finder=finder,
        person_ids=cast(list[int], arrays["person_ids"].tolist()),
        session_ids=cast(list[int], arrays["session_ids"].tolist()),
        ratings=ratings,
    )


def experts_stored() -> bool:
    return ExpertIndex.objects.exists()


def experts_stored_details() -> dict:
    return ExpertIndex.objects.order_by("-pk").values_list("details", flat=True).first() or {}


# --- serving -------------------------------------------------------------------------------

_lock = threading.Lock()
_loaded: tuple[int, FittedExperts | None] | None = None  # (index id, finder or a failed load)


def experts_loaded() -> FittedExperts | None:
    """The newest stored index, loaded once per process (one query to see it is still the
    newest); ``None`` when there is none or it cannot be loaded (tried once per index)."""
    global _loaded
    newest = ExpertIndex.objects.order_by("-pk").values_list("pk", flat=True).first()
    if newest is None:
        return None
    current = _loaded
    if current is not None and current[0] == newest:
        return current[1]
    with _lock:
        if _loaded is not None and _loaded[0] == newest:
            return _loaded[1]
        blob = ExpertIndex.objects.filter(pk=newest).values_list("data", flat=True).first()
        if blob is None:  # replaced in between: the next call loads the newer one
            return None
        try:
            fitted = experts_loads(bytes(blob))
        except Exception:  # written by another version, or damaged: the database scorer answers
            logger.exception("Host finder index %s cannot be loaded", newest)
            fitted = None
        _loaded = (newest, fitted)
        return fitted


def experts_forget() -> None:
    """Drop the process's loaded index (tests)."""
    global _loaded
    _loaded = None


def hosts_ranked(
    fitted: FittedExperts,
    *,
    query: str,
    tags: list[str],
    exclude: set[int],
    limit: int,
) -> list[RankedHost]:
    """The finder's best ``limit * CANDIDATES`` people for the query, re-ordered with the rating
    of each one's best-matching talk, best first; ``exclude`` are person pks."""
    finder = fitted.finder
    skip = [fitted.index_of[pk] for pk in exclude if pk in fitted.index_of]
    ids, scores = finder.rank(
        query, k=limit * CANDIDATES, exclude=skip, query_tags=[t.lower() for t in tags]
    )
    if not len(ids):
        return []
    top = float(scores[0]) if float(scores[0]) > 0 else 1.0
    ranked: list[RankedHost] = []
    evidence = _evidence(finder, query, ids.tolist())
    for person, score, (talk_doc, term) in zip(
        ids.tolist(), scores.tolist(), evidence, strict=True
    ):
        if score <= 0 or (talk_doc is None and term is None):
            continue  # ranked by activity alone: no evidence to show
        talk_id = None
        value = score / top
        if talk_doc is not None:
            talk_id = fitted.session_ids[talk_doc]
            rated = fitted.ratings.get(talk_id)
            if rated is not None:
                value += RATING_WEIGHT * (rated[0] - 3.0)
        ranked.append(
            RankedHost(person_id=fitted.person_ids[person], score=value, talk_id=talk_id, term=term)
        )
    ranked.sort(key=lambda h: (-h.score, h.person_id))
    return ranked


def _evidence(
    finder: ExpertFinder, query: str, people: list[int]
) -> list[tuple[int | None, str | None]]:
    """The evidence for many people at once, the query embedded once: per person
    (the best-matching talk's document index, the term it shares most with the query) when a
    talk matches best, (None, the best-matching term) when their skills do, (None, None) when
    nothing matches."""
    f = finder.fitted_
    q = finder.vectorizer_.transform([query]).tocsr()
    people_arr = np.asarray(people, dtype=np.int64)
    starts = np.searchsorted(f.pair_person, people_arr, side="left")
    ends = np.searchsorted(f.pair_person, people_arr, side="right")
    rows = [f.pair_row[a:b] for a, b in zip(starts, ends, strict=True)]
    every = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    sims = np.asarray((f.X[every] @ q.T).todense()).ravel() if len(every) else np.zeros(0)
    out: list[tuple[int | None, str | None]] = []
    at = 0
    for own in rows:
        seg = sims[at : at + len(own)]
        at += len(own)
        if not len(own) or float(seg.max()) <= 1e-9:
            out.append((None, None))
            continue
        row = int(own[int(np.argmax(seg))])
        product = q.multiply(f.X[row]).tocsr()
        term = str(finder.terms_[product.indices[int(np.argmax(product.data))]])
        if f.is_skill_row[row]:
            out.append((None, term))
        else:
            out.append((int(f.row_doc[row]), term))
    return out


def host_reasons(
    fitted: FittedExperts,
    *,
    viewer: Person,
    ranked: list[RankedHost],
    tag_ids: dict[int, str],
    words: set[str],
) -> dict[int, list[str]]:
    """Per person pk, at most two reasons, each naming what ties it to the topic: the best talk
    (only if ``viewer`` may see it) with its rating, and the word it shares with the topic when
    its title has none of the topic's words or tags; a declared skill on the topic's tags, else
    one named by its words or by the finder's best term (a whole word of the skill's name),
    highest level first; without either, the shared term itself. Two queries."""
    topic_words = words | {word for name in tag_ids.values() for word in _words(name)}
    talk_ids = {h.talk_id for h in ranked if h.talk_id is not None}
    titles = dict(
        sessions_visible_to(person=viewer).filter(pk__in=talk_ids).values_list("pk", "title")
        if talk_ids
        else []
    )
    skills: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for person_id, tag_id, level, name in Skill.objects.filter(
        person_id__in=[h.person_id for h in ranked]
    ).values_list("person_id", "tag_id", "level", "tag__name"):
        skills[person_id].append((tag_id, level, name))
    out: dict[int, list[str]] = {}
    for h in ranked:
        reasons = []
        term = (h.term or "").lower()
        if h.talk_id in titles:
            title = titles[h.talk_id]  # type: ignore[index]
            rated = fitted.ratings.get(h.talk_id)  # type: ignore[arg-type]
            values = {"title": title, "term": term}
            # The term only when the title alone would not say why.
            on_term = bool(term and not (_words(title) & topic_words))
            if rated is not None:
                values["rating"] = one_decimal(rated[0])
                text = (
                    _("gave '%(title)s' on “%(term)s” (rated %(rating)s)")
                    if on_term
                    else _("gave '%(title)s' (rated %(rating)s)")
                )
            else:
                text = _("gave '%(title)s' on “%(term)s”") if on_term else _("gave '%(title)s'")
            reasons.append(text % values)
        matching = [
            (tag_id in tag_ids, name.lower() in words, level, name)
            for tag_id, level, name in skills.get(h.person_id, [])
            if tag_id in tag_ids or name.lower() in words or (term and term in _words(name))
        ]
        if matching:
            *_best, level, name = max(matching)
            reasons.append(
                _("skill: %(name)s (%(level)s)") % {"name": name, "level": level_shown(level)}
            )
        if not reasons:  # the talk is one the viewer may not see, or a skill not on the topic
            if h.talk_id:
                text = (
                    _("hosted a session on “%(term)s”") if term else _("hosted a session on this")
                )
            else:
                text = _("knows “%(term)s”") if term else _("knows this")
            reasons.append(text % {"term": term})
        out[h.person_id] = reasons
    return out
