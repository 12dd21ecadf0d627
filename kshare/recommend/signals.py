"""Load every recommender signal from the database into the engine's ``TrainData``.

Bulk reads with ``values_list`` only (no model instances), so a million interaction rows load
in seconds. People and sessions get dense indices (``Signals.person_ids[i]`` is the person of
row ``i``). The weights below say how strongly each signal counts:

- attended a session: the strongest positive; said yes: positive; starred: positive;
  watched the recording: positive; hosted it: a weak positive (it says what the host knows);
- overall feedback rating 4-5 strengthens, 1-2 weakens (a negative) — anonymous responses have
  no person and are skipped;
- RSVP "no" and catch-up "not interested" are negatives (never recommended again);
- declared skills (repeated by level), interests, the titles of topic requests +1'd and ideas
  voted for make up a person's text; title, tags, abstract and transcript make up a session's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice

import numpy as np
import scipy.sparse as sp
from django.utils import timezone

from kshare.feedback.models import Answer, Question
from kshare.ideas.models import IdeaVote
from kshare.library.models import CatchUpSignal, Material, Transcript
from kshare.people.models import Person, Skill
from kshare.programmes.models import Programme
from kshare.recommend.engine.base import TrainData
from kshare.sessions.models import (
    Attendance,
    Invitation,
    Session,
    SessionHost,
    Star,
    State,
)
from kshare.tags.models import Tag
from kshare.topics.models import TopicRequest, TopicVote

W_ATTENDED = 3.0
W_YES = 2.0
W_MAYBE = 0.5
W_STAR = 1.5
W_WATCHED = 2.0
W_HOSTED = 1.0
W_RATING = {4: 1.0, 5: 2.0}
NEGATIVE_RATINGS = {1, 2}
TRANSCRIPT_CHARS = 3_000
ABSTRACT_CHARS = 3_000
CHUNK = 20_000

# Signal kinds, for explanations ("similar to 'X' you attended").
ATTENDED, YES, STARRED, WATCHED, HOSTED, RATED = 1, 2, 3, 4, 5, 6


def _epoch(value: datetime | date | None) -> float:
    if value is None:
        return 0.0
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()


def _chunks(rows: Iterable[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


@dataclass
class Signals:
    """The training data plus what the adapter needs to map ids and explain results."""

    data: TrainData
    person_ids: np.ndarray  # row -> Person pk
    session_ids: np.ndarray  # column -> Session pk
    person_index: dict[int, int]
    session_index: dict[int, int]
    titles: list[str]
    item_tags: list[list[int]]  # per item: tag ids
    tag_names: dict[int, str]
    upcoming: np.ndarray  # per item: scheduled and not yet over
    recording: np.ndarray  # per item: held, with material
    user_skills: list[dict[int, int]]  # per user: tag id -> level
    user_interests: list[set[int]]
    # Per (user, item) the kind of the strongest positive signal, and overall ratings 1-5.
    evidence: sp.csr_matrix
    ratings: sp.csr_matrix
    hosted: sp.csr_matrix  # users x items, 1 = hosts it (never recommended to them)
    # Visibility: per item its session/programme visibility and teams; per user team / admin.
    item_open_all: np.ndarray  # visible to everyone (public session in a public programme)
    item_teams: dict[int, np.ndarray] = field(default_factory=dict)  # team -> items open to it
    user_team: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    user_admin: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    user_personal: sp.csr_matrix | None = None  # invited / hosts / organises the programme
    counts: dict[str, int] = field(default_factory=dict)

    def allowed_for(self, user: int) -> np.ndarray:
        """The items ``user`` may see (as of loading)."""
        if self.user_admin[user]:
            return np.ones(len(self.session_ids), dtype=bool)
        allowed = self.item_open_all.copy()
        team = int(self.user_team[user])
        if team >= 0 and team in self.item_teams:
            allowed |= self.item_teams[team]
        if self.user_personal is not None:
            m = self.user_personal
            allowed[m.indices[m.indptr[user] : m.indptr[user + 1]]] = True
        return allowed


class _Triples:
    """Growing (user, item, weight, time, kind) arrays, combined at the end."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, users, items, weights, times, kind: int) -> None:
        users = np.asarray(users, dtype=np.int64)
        if not len(users):
            return
        n = len(users)
        self.parts.append(
            (
                users,
                np.asarray(items, dtype=np.int64),
                np.broadcast_to(np.asarray(weights, dtype=np.float32), (n,)).copy(),
                np.asarray(times, dtype=np.float64),
                np.full(n, kind, dtype=np.int8),
            )
        )

    def combine(self, shape: tuple[int, int]) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """(summed weights, latest time, kind of the heaviest signal) per (user, item)."""
        if not self.parts:
            return (
                sp.csr_matrix(shape, dtype=np.float32),
                sp.csr_matrix(shape, dtype=np.float64),
                sp.csr_matrix(shape, dtype=np.int8),
            )
        columns = zip(*self.parts, strict=True)
        users, items, weights, times, kinds = (np.concatenate(c) for c in columns)
        key = users * shape[1] + items
        unique, inverse = np.unique(key, return_inverse=True)
        total = np.bincount(inverse, weights=weights, minlength=len(unique)).astype(np.float32)
        latest = np.zeros(len(unique), dtype=np.float64)
        np.maximum.at(latest, inverse, times)
        # The heaviest single signal names the evidence: sort by (pair, weight) and keep the last.
        order = np.lexsort((weights, inverse))
        strongest = np.zeros(len(unique), dtype=np.int8)
        strongest[inverse[order]] = kinds[order]
        rows, cols = unique // shape[1], unique % shape[1]

        def matrix(values: np.ndarray) -> sp.csr_matrix:
            return sp.csr_matrix((values, (rows, cols)), shape=shape)

        return matrix(total), matrix(np.maximum(latest, 1.0)), matrix(strongest)


def _index(ids: Iterable[int]) -> dict[int, int]:
    return {pk: i for i, pk in enumerate(ids)}


def _pairs(rows: Iterable[tuple], people: dict[int, int], items: dict[int, int]):
    """Map (person pk, session pk, *rest) rows to index arrays; drops unknown ids."""
    users: list[int] = []
    cols: list[int] = []
    rest: list[tuple] = []
    for chunk in _chunks(rows):
        for person_id, session_id, *extra in chunk:
            u = people.get(person_id)
            i = items.get(session_id)
            if u is None or i is None:
                continue
            users.append(u)
            cols.append(i)
            rest.append(tuple(extra))
    return users, cols, rest


def signals_load(*, now: datetime | None = None) -> Signals:
    """Everything the recommender learns from, as of ``now`` (default: the current time)."""
    now = now or timezone.now()
    people = list(
        Person.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "team_id", "role", "is_superuser")
    )
    person_ids = np.array([p[0] for p in people], dtype=np.int64)
    person_index = _index(person_ids.tolist())
    user_team = np.array([p[1] if p[1] is not None else -1 for p in people], dtype=np.int64)
    # The engine wants dense team indices (0..teams-1); visibility keeps the team pks.
    team_index = _index(sorted({int(t) for t in user_team if t >= 0}))
    user_group = np.array([team_index.get(int(t), -1) for t in user_team], dtype=np.int64)
    user_admin = np.array([p[2] == "admin" or p[3] for p in people], dtype=bool)

    sessions = list(
        Session.objects.filter(state__in=[State.SCHEDULED, State.HELD], start__isnull=False)
        .order_by("pk")
        .values_list(
            "pk", "title", "abstract", "start", "end", "state", "visibility", "programme_id"
        )
    )
    session_ids = np.array([s[0] for s in sessions], dtype=np.int64)
    session_index = _index(session_ids.tolist())
    n_users, n_items = len(person_ids), len(session_ids)
    shape = (n_users, n_items)
    titles = [s[1] for s in sessions]
    item_time = np.array([_epoch(s[3]) for s in sessions], dtype=np.float64)
    upcoming = np.array(
        [s[5] == State.SCHEDULED and s[4] is not None and s[4] > now for s in sessions],
        dtype=bool,
    )
    with_material = set(Material.objects.values_list("session_id", flat=True).distinct())
    recording = np.array(
        [s[5] == State.HELD and s[0] in with_material for s in sessions], dtype=bool
    )

    # Tags and text.
    tag_names = dict(Tag.objects.values_list("pk", "name"))
    item_tags: list[list[int]] = [[] for _ in range(n_items)]
    for session_id, tag_id in Session.tags.through.objects.values_list("session_id", "tag_id"):
        i = session_index.get(session_id)
        if i is not None:
            item_tags[i].append(tag_id)
    transcripts: dict[int, list[str]] = defaultdict(list)
    for session_id, text in Transcript.objects.values_list("material__session_id", "text"):
        if session_id in session_index and text:
            transcripts[session_id].append(text[:TRANSCRIPT_CHARS])
    item_text = []
    for i, s in enumerate(sessions):
        tags = " ".join(tag_names.get(t, "") for t in item_tags[i])
        item_text.append(
            " ".join([s[1], tags, tags, (s[2] or "")[:ABSTRACT_CHARS], *transcripts.get(s[0], [])])
        )

    user_skills: list[dict[int, int]] = [{} for _ in range(n_users)]
    for person_id, tag_id, level in Skill.objects.values_list("person_id", "tag_id", "level"):
        u = person_index.get(person_id)
        if u is not None:
            user_skills[u][tag_id] = level
    user_interests: list[set[int]] = [set() for _ in range(n_users)]
    for person_id, tag_id in Person.interests.through.objects.values_list("person_id", "tag_id"):
        u = person_index.get(person_id)
        if u is not None:
            user_interests[u].add(tag_id)
    extra_text: list[list[str]] = [[] for _ in range(n_users)]
    request_tags: dict[int, list[str]] = defaultdict(list)
    for request_id, tag_id in TopicRequest.tags.through.objects.values_list(
        "topicrequest_id", "tag_id"
    ):
        request_tags[request_id].append(tag_names.get(tag_id, ""))
    for person_id, request_id, title in TopicVote.objects.values_list(
        "person_id", "request_id", "request__title"
    ):
        u = person_index.get(person_id)
        if u is not None:
            extra_text[u].append(" ".join([title, *request_tags.get(request_id, [])]))
    for person_id, title in IdeaVote.objects.values_list("person_id", "idea__title"):
        u = person_index.get(person_id)
        if u is not None:
            extra_text[u].append(title)
    user_text = []
    for u in range(n_users):
        words = []
        for tag_id, level in user_skills[u].items():
            words.extend([tag_names.get(tag_id, "")] * int(level))
        for tag_id in user_interests[u]:
            words.extend([tag_names.get(tag_id, "")] * 2)
        user_text.append(" ".join(words + extra_text[u]))

    # Interactions.
    positives = _Triples()
    negatives = _Triples()
    counts: dict[str, int] = {}

    users, cols, rest = _pairs(
        Attendance.objects.values_list("person_id", "session_id", "recorded_at"),
        person_index,
        session_index,
    )
    positives.add(users, cols, W_ATTENDED, [_epoch(r[0]) for r in rest], ATTENDED)
    counts["attendances"] = len(users)

    users, cols, rest = _pairs(
        Invitation.objects.filter(
            response__in=[
                Invitation.Response.YES,
                Invitation.Response.MAYBE,
                Invitation.Response.NO,
            ]
        ).values_list("person_id", "session_id", "response", "responded_at", "created_at"),
        person_index,
        session_index,
    )
    kinds = np.array([r[0] for r in rest], dtype=object)
    times = np.array([_epoch(r[1] or r[2]) for r in rest], dtype=np.float64)
    users_a, cols_a = np.asarray(users, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    for answer, weight, target, kind in (
        (Invitation.Response.YES, W_YES, positives, YES),
        (Invitation.Response.MAYBE, W_MAYBE, positives, YES),
        (Invitation.Response.NO, 1.0, negatives, 0),
    ):
        mask = kinds == answer
        target.add(users_a[mask], cols_a[mask], weight, times[mask], kind)
    counts["rsvps"] = len(users)

    users, cols, rest = _pairs(
        Star.objects.values_list("person_id", "session_id", "created_at"),
        person_index,
        session_index,
    )
    positives.add(users, cols, W_STAR, [_epoch(r[0]) for r in rest], STARRED)
    counts["stars"] = len(users)

    users, cols, rest = _pairs(
        CatchUpSignal.objects.values_list("person_id", "session_id", "kind", "at"),
        person_index,
        session_index,
    )
    kinds = np.array([r[0] for r in rest], dtype=object)
    times = np.array([_epoch(r[1]) for r in rest], dtype=np.float64)
    users_a, cols_a = np.asarray(users, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    watched = kinds == CatchUpSignal.Kind.WATCHED
    positives.add(users_a[watched], cols_a[watched], W_WATCHED, times[watched], WATCHED)
    dismissed = kinds == CatchUpSignal.Kind.NOT_INTERESTED
    negatives.add(users_a[dismissed], cols_a[dismissed], 1.0, times[dismissed], 0)
    counts["catchup_signals"] = len(users)

    users, cols, rest = _pairs(
        SessionHost.objects.values_list("person_id", "session_id"), person_index, session_index
    )
    host_times = item_time[np.asarray(cols, dtype=np.int64)]
    positives.add(users, cols, W_HOSTED, host_times, HOSTED)
    hosted = sp.csr_matrix(
        (np.ones(len(users), dtype=np.int8), (users, cols)), shape=shape, dtype=np.int8
    )
    counts["hosts"] = len(users)

    users, cols, rest = _pairs(
        Answer.objects.filter(
            question__purpose=Question.Purpose.OVERALL,
            number__isnull=False,
            response__person__isnull=False,
        ).values_list(
            "response__person_id", "response__session_id", "number", "response__submitted_on"
        ),
        person_index,
        session_index,
    )
    numbers = np.array([r[0] for r in rest], dtype=np.int64)
    times = np.array([_epoch(r[1]) for r in rest], dtype=np.float64)
    users_a, cols_a = np.asarray(users, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    for rating, weight in W_RATING.items():
        mask = numbers == rating
        positives.add(users_a[mask], cols_a[mask], weight, times[mask], RATED)
    low = np.isin(numbers, list(NEGATIVE_RATINGS))
    negatives.add(users_a[low], cols_a[low], 1.0, times[low], 0)
    ratings = sp.csr_matrix(
        (numbers.astype(np.int8), (users_a, cols_a)), shape=shape, dtype=np.int8
    )
    counts["ratings"] = len(users)

    interactions, interaction_time, evidence = positives.combine(shape)
    negative_matrix, _, _ = negatives.combine(shape)
    negative_matrix.data = np.ones_like(negative_matrix.data)

    # Visibility, as sessions_visible_to decides it (re-checked when serving).
    programmes = {
        pk: visibility for pk, visibility in Programme.objects.values_list("pk", "visibility")
    }
    programme_teams: dict[int, set[int]] = defaultdict(set)
    for programme_id, team_id in Programme.teams.through.objects.values_list(
        "programme_id", "team_id"
    ):
        programme_teams[programme_id].add(team_id)
    session_teams: dict[int, set[int]] = defaultdict(set)
    for session_id, team_id in Session.teams.through.objects.values_list("session_id", "team_id"):
        session_teams[session_id].add(team_id)
    item_open_all = np.array(
        [s[6] == "public" and programmes.get(s[7]) == "public" for s in sessions], dtype=bool
    )
    item_teams: dict[int, np.ndarray] = {}
    for team in {int(t) for t in user_team if t >= 0}:
        item_teams[team] = np.array(
            [
                (s[6] == "public" or (s[6] == "teams" and team in session_teams[s[0]]))
                and (programmes.get(s[7]) == "public" or team in programme_teams[s[7]])
                for s in sessions
            ],
            dtype=bool,
        )
    personal_rows: list[int] = []
    personal_cols: list[int] = []
    invited = Invitation.objects.values_list("person_id", "session_id")
    for source in (invited, SessionHost.objects.values_list("person_id", "session_id")):
        users, cols, _ = _pairs(source, person_index, session_index)
        personal_rows.extend(users)
        personal_cols.extend(cols)
    organised = defaultdict(list)
    for programme_id, person_id in Programme.organisers.through.objects.values_list(
        "programme_id", "person_id"
    ):
        organised[programme_id].append(person_id)
    if organised:
        by_programme: dict[int, list[int]] = defaultdict(list)
        for i, s in enumerate(sessions):
            by_programme[s[7]].append(i)
        for programme_id, organisers in organised.items():
            for person_id in organisers:
                u = person_index.get(person_id)
                if u is not None:
                    items = by_programme.get(programme_id, [])
                    personal_rows.extend([u] * len(items))
                    personal_cols.extend(items)
    user_personal = sp.csr_matrix(
        (np.ones(len(personal_rows), dtype=np.int8), (personal_rows, personal_cols)),
        shape=shape,
        dtype=np.int8,
    )

    data = TrainData(
        interactions=interactions,
        negatives=negative_matrix,
        item_text=item_text,
        user_text=user_text,
        item_time=item_time,
        interaction_time=interaction_time,
        user_group=user_group,
        now=now.timestamp(),
    )
    counts.update(people=n_users, sessions=n_items, interactions=int(interactions.nnz))
    return Signals(
        data=data,
        person_ids=person_ids,
        session_ids=session_ids,
        person_index=person_index,
        session_index=session_index,
        titles=titles,
        item_tags=item_tags,
        tag_names=tag_names,
        upcoming=upcoming,
        recording=recording,
        user_skills=user_skills,
        user_interests=user_interests,
        evidence=evidence,
        ratings=ratings,
        hosted=hosted,
        item_open_all=item_open_all,
        item_teams=item_teams,
        user_team=user_team,
        user_admin=user_admin,
        user_personal=user_personal,
        counts=counts,
    )
