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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import scipy.sparse as sp
from django.db import connections
from django.db.models import Case, F, FloatField, Func, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce
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
from kshare.visibility import rules

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


class _Epoch(Func):
    """A date or time as unix seconds (0 when empty), computed by the database: a million rows
    load without building a million ``datetime`` objects. As ``_epoch`` says it, to the
    microsecond (SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, or a bare date)."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        sql, params = compiler.compile(self.source_expressions[0])
        # Whole seconds from the day number (exact once rounded), then the digits after them.
        whole = f"ROUND((julianday(substr({sql}, 1, 19)) - 2440587.5) * 86400.0)"
        fraction = f"CAST(substr({sql}, 20) AS REAL)"  # '.ffffff' or ''
        return f"COALESCE({whole} + {fraction}, 0.0)", [*params, *params]

    def as_postgresql(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"COALESCE(EXTRACT(EPOCH FROM {sql})::double precision, 0.0)", params


def _code(field: str, codes: Mapping[str, int]) -> Case:
    """A text choice as a small integer (0 for anything else)."""
    return Case(
        *(When(**{field: value}, then=Value(code)) for value, code in codes.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def _table(rows: QuerySet) -> np.ndarray:
    """A ``values_list`` of numbers as a float64 (rows x columns) array, in one pass: the
    compiled query straight through the cursor (no per-row converters on a million rows)."""
    queryset = rows.order_by()
    query = queryset.query
    sql, params = query.get_compiler(queryset.db).as_sql()
    # The SELECT's order (as ValuesIterable reads it); values_list's order is the caller's.
    selected = list(query.selected or [])
    if not selected:
        selected = [*query.extra_select, *query.values_select, *query.annotation_select]
    wanted = [selected.index(name) for name in queryset._fields]  # type: ignore[attr-defined]
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchall()
    if not values:
        return np.zeros((0, len(wanted)), dtype=np.float64)
    table = np.array(values, dtype=np.float64).reshape(len(values), len(selected))
    return table[:, wanted]


def _positions(ids: np.ndarray, pks: np.ndarray) -> np.ndarray:
    """Each pk's index in the sorted ``ids`` (-1 when it is not there)."""
    if not len(ids):
        return np.full(len(pks), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, pks), len(ids) - 1)
    return np.where(ids[at] == pks, at, -1).astype(np.int64)


def _indexed(
    table: np.ndarray, person_ids: np.ndarray, session_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, item, rest) of (person pk, session pk, *rest) rows; unknown ids are dropped."""
    users = _positions(person_ids, table[:, 0].astype(np.int64))
    cols = _positions(session_ids, table[:, 1].astype(np.int64))
    keep = (users >= 0) & (cols >= 0)
    return users[keep], cols[keep], table[keep, 2:]


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

    # Interactions: each table in one query of numbers (times as unix seconds from the database).
    positives = _Triples()
    negatives = _Triples()
    counts: dict[str, int] = {}

    def rows(queryset: QuerySet, *fields: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        table = _table(queryset.values_list("person_id", "session_id", *fields))
        return _indexed(table, person_ids, session_ids)

    users, cols, rest = rows(Attendance.objects.annotate(t=_Epoch("recorded_at")), "t")
    positives.add(users, cols, W_ATTENDED, rest[:, 0], ATTENDED)
    counts["attendances"] = len(users)

    # Every invitation (pending too): it also makes the session visible to the person.
    answers: dict[str, int] = {
        Invitation.Response.YES: 1,
        Invitation.Response.MAYBE: 2,
        Invitation.Response.NO: 3,
    }
    invitations = Invitation.objects.annotate(
        code=_code("response", answers), t=_Epoch(Coalesce("responded_at", "created_at"))
    )
    invited_users, invited_cols, rest = rows(invitations, "code", "t")
    code, times = rest[:, 0], rest[:, 1]
    for answer, weight, target, kind in (
        (Invitation.Response.YES, W_YES, positives, YES),
        (Invitation.Response.MAYBE, W_MAYBE, positives, YES),
        (Invitation.Response.NO, 1.0, negatives, 0),
    ):
        mask = code == answers[answer]
        target.add(invited_users[mask], invited_cols[mask], weight, times[mask], kind)
    counts["rsvps"] = int((code > 0).sum())

    users, cols, rest = rows(Star.objects.annotate(t=_Epoch("created_at")), "t")
    positives.add(users, cols, W_STAR, rest[:, 0], STARRED)
    counts["stars"] = len(users)

    kinds_of: dict[str, int] = {CatchUpSignal.Kind.WATCHED: 1, CatchUpSignal.Kind.NOT_INTERESTED: 2}
    users, cols, rest = rows(
        CatchUpSignal.objects.annotate(code=_code("kind", kinds_of), t=_Epoch("at")), "code", "t"
    )
    code, times = rest[:, 0], rest[:, 1]
    watched = code == kinds_of[CatchUpSignal.Kind.WATCHED]
    positives.add(users[watched], cols[watched], W_WATCHED, times[watched], WATCHED)
    dismissed = code == kinds_of[CatchUpSignal.Kind.NOT_INTERESTED]
    negatives.add(users[dismissed], cols[dismissed], 1.0, times[dismissed], 0)
    counts["catchup_signals"] = len(users)

    host_users, host_cols, _ = rows(SessionHost.objects.all())
    positives.add(host_users, host_cols, W_HOSTED, item_time[host_cols], HOSTED)
    hosted = sp.csr_matrix(
        (np.ones(len(host_users), dtype=np.int8), (host_users, host_cols)),
        shape=shape,
        dtype=np.int8,
    )
    counts["hosts"] = len(host_users)

    users, cols, rest = rows(
        Answer.objects.filter(
            question__purpose=Question.Purpose.OVERALL,
            number__isnull=False,
            response__person__isnull=False,
        ).annotate(
            person_id=F("response__person_id"),
            session_id=F("response__session_id"),
            t=_Epoch("response__submitted_on"),
        ),
        "number",
        "t",
    )
    numbers = rest[:, 0].astype(np.int64)
    times = rest[:, 1]
    for rating, weight in W_RATING.items():
        mask = numbers == rating
        positives.add(users[mask], cols[mask], weight, times[mask], RATED)
    low = np.isin(numbers, list(NEGATIVE_RATINGS))
    negatives.add(users[low], cols[low], 1.0, times[low], 0)
    ratings = sp.csr_matrix((numbers.astype(np.int8), (users, cols)), shape=shape, dtype=np.int8)
    counts["ratings"] = len(users)

    interactions, interaction_time, evidence = positives.combine(shape)
    negative_matrix, _, _ = negatives.combine(shape)
    negative_matrix.data = np.ones_like(negative_matrix.data)

    # Visibility, as kshare.visibility.rules decides it (re-checked when serving).
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
    # Who each item is open to without a personal link: the one rule's OPEN
    # (kshare.visibility.rules.open_to_teams), None = everyone.
    facts_by_programme = {
        pk: rules.ProgrammeFacts(pk=pk, visibility=visibility, teams=frozenset(programme_teams[pk]))
        for pk, visibility in programmes.items()
    }
    open_to = [
        rules.open_to_teams(
            rules.SessionFacts(
                pk=s[0],
                visibility=s[6],
                programme=facts_by_programme[s[7]],
                teams=frozenset(session_teams[s[0]]),
            )
        )
        for s in sessions
    ]
    item_open_all = np.array([teams is None for teams in open_to], dtype=bool)
    item_teams: dict[int, np.ndarray] = {}
    for team in {int(t) for t in user_team if t >= 0}:
        item_teams[team] = np.array(
            [teams is None or team in teams for teams in open_to], dtype=bool
        )
    personal_rows: list[int] = [*invited_users.tolist(), *host_users.tolist()]
    personal_cols: list[int] = [*invited_cols.tolist(), *host_cols.tolist()]
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
