"""Reads of people: the directory, a profile, and the sessions a profile shows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import overload

from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from kshare.feedback.models import Answer, Question
from kshare.people.models import AccountInvite, Person, Skill, Team
from kshare.people.services import SKILL_COUNTS_VERSION_KEY, account_invite_token_hash
from kshare.sessions.models import Attendance, Session, SessionHost, State
from kshare.sessions.selectors import sessions_visible_to
from kshare.tags.models import Tag
from kshare.tags.services import tag_slug

PROFILE_SESSIONS = 20


def people_directory(*, query: str = "", team: Team | None = None) -> QuerySet[Person]:
    """Active people matching ``query`` (name, e-mail, team or skill), with team and skills."""
    people = Person.objects.filter(is_active=True)
    if team is not None:
        people = people.filter(team=team)
    for word in query.split()[:5]:
        # Each word must match something, so "anna python" finds Anna who knows Python.
        people = people.filter(
            Q(display_name__icontains=word)
            | Q(email__icontains=word)
            | Q(team__name__icontains=word)
            | Exists(Skill.objects.filter(person=OuterRef("pk"), tag__name__icontains=word))
        )
    return people.select_related("team").prefetch_related(
        Prefetch(
            "skills", queryset=Skill.objects.select_related("tag").order_by("-level", "tag__name")
        )
    )


def person_profile(*, pk: int) -> Person | None:
    """An active person with team, interests and skills loaded, or ``None``."""
    return (
        Person.objects.filter(pk=pk, is_active=True)
        .select_related("team")
        .prefetch_related(
            "interests",
            Prefetch(
                "skills",
                queryset=Skill.objects.select_related("tag").order_by("-level", "tag__name"),
            ),
        )
        .first()
    )


def _profile_sessions(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return (
        sessions.exclude(state=State.CANCELLED)
        .select_related("programme")
        .order_by(F("start").desc(nulls_first=True), "-id")
    )


def person_sessions_hosted(*, viewer: Person, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` hosts or co-hosts that ``viewer`` may see, newest first."""
    return _profile_sessions(
        sessions_visible_to(person=viewer).filter(
            Exists(SessionHost.objects.filter(session=OuterRef("pk"), person=person))
        )
    )


def person_sessions_attended(*, viewer: Person, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` attended that ``viewer`` may see, newest first."""
    return _profile_sessions(
        sessions_visible_to(person=viewer).filter(
            Exists(Attendance.objects.filter(session=OuterRef("pk"), person=person))
        )
    )


def account_invite_for_token(*, token: str) -> AccountInvite | None:
    return (
        AccountInvite.objects.select_related("team", "invited_by")
        .filter(token_hash=account_invite_token_hash(token))
        .first()
    )


# -- the expertise directory ("who knows Kubernetes?") ------------------------------------

COMMON_SKILLS = 24
SESSIONS_SHOWN = 3


def skill_tag_find(text: str) -> Tag | None:
    """The tag called ``text`` (any case), or whose slug ``text`` is."""
    if not text:
        return None
    return (
        Tag.objects.filter(Q(slug=tag_slug(text)) | Q(slug=text) | Q(name__iexact=text))
        .order_by("name", "pk")
        .first()
    )


Ranked = tuple[int, int, float | None, int]  # skill pk, sessions held, mean rating, ratings


class ExpertRanking(Sequence[Skill]):
    """The people with a skill, best first, as a sequence a ``Paginator`` pages through.

    Built by ``experts_for`` from light rows; a page's ``Skill`` rows are loaded only when
    sliced (one query), with ``n_held``, ``rating_mean`` and ``rating_count`` set on them.
    """

    def __init__(self, ranked: list[Ranked], sessions: dict[int, list[int]]) -> None:
        self._ranked = ranked
        self._sessions = sessions  # person id -> held session ids on the tag, newest first

    def __len__(self) -> int:
        return len(self._ranked)

    def count(self) -> int:  # type: ignore[override]  # what Paginator calls for the total
        return len(self._ranked)

    @overload
    def __getitem__(self, index: int) -> Skill: ...

    @overload
    def __getitem__(self, index: slice) -> list[Skill]: ...

    def __getitem__(self, index: int | slice) -> Skill | list[Skill]:
        if isinstance(index, int):
            return self._load(self._ranked[index : index + 1 or None])[0]
        return self._load(self._ranked[index])

    @staticmethod
    def _load(rows: list[Ranked]) -> list[Skill]:
        if not rows:
            return []
        skills = Skill.objects.select_related("person__team").in_bulk([row[0] for row in rows])
        page = []
        for pk, n_held, mean, n_ratings in rows:
            skill = skills[pk]
            skill.n_held = n_held  # type: ignore[attr-defined]
            skill.rating_mean = mean  # type: ignore[attr-defined]
            skill.rating_count = n_ratings  # type: ignore[attr-defined]
            page.append(skill)
        return page

    def sessions_by_host(self, skills: Iterable[Skill]) -> dict[int, list[Session]]:
        """A few held sessions on the tag per person of ``skills``, newest first, one query."""
        wanted = {
            skill.person_id: self._sessions.get(skill.person_id, [])[:SESSIONS_SHOWN]
            for skill in skills
        }
        loaded = Session.objects.in_bulk([pk for pks in wanted.values() for pk in pks])
        return {person: [loaded[pk] for pk in pks] for person, pks in wanted.items() if pks}


def experts_for(*, viewer: Person, tag: Tag) -> ExpertRanking:
    """Active people with the skill, best first: declared level, then held sessions they hosted
    on it (only sessions ``viewer`` may see count), then the mean overall feedback rating of
    those sessions (released responses only; people without rated sessions last), then name.

    Two queries whatever the number of people: the host links of the held sessions on the tag
    that ``viewer`` may see, each with its session's rating sum and count (visibility tested
    once, on the tag's sessions only), and the skills' light rows; the ranking is then sorted
    here. (It was a correlated subquery per person, each rebuilding the visible set.)
    """
    # Filtered by the tag's session ids rather than joined to the tags: the database then
    # starts from the tag's sessions and tests visibility on those, not on every held session.
    held_on_tag = sessions_visible_to(person=viewer).filter(
        state=State.HELD,
        pk__in=Session.tags.through.objects.filter(tag=tag).values("session_id"),
    )
    # Overall ratings (question purpose "overall", any form version) of one session.
    answers = (
        Answer.objects.filter(
            response__session_id=OuterRef("session_id"),
            response__released=True,
            question__purpose=Question.Purpose.OVERALL,
            number__isnull=False,
        )
        .order_by()
        .values("response__session_id")
    )
    links = (
        SessionHost.objects.filter(session__in=held_on_tag.values("pk"))
        .annotate(
            rating_sum=Subquery(answers.annotate(x=Sum("number")).values("x")),
            rating_n=Subquery(answers.annotate(x=Count("pk")).values("x")),
        )
        .order_by(F("session__start").desc(nulls_last=True), "-session_id")
        .values_list("person_id", "session_id", "rating_sum", "rating_n")
    )
    held: dict[int, list[int]] = defaultdict(list)
    totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for person_id, session_id, rating_sum, rating_n in links:
        held[person_id].append(session_id)
        if rating_n:
            totals[person_id][0] += rating_sum
            totals[person_id][1] += rating_n
    # The database sorts by level and name (its collation, as everywhere else names are
    # sorted); the stable sort below then moves people up by sessions held and rating.
    skills = (
        Skill.objects.filter(tag=tag, person__is_active=True)
        .order_by("-level", "person__display_name", "person_id")
        .values_list("pk", "person_id", "level")
    )
    rows = []
    for pk, person_id, level in skills:
        total, n = totals.get(person_id, (0.0, 0))
        mean = total / n if n else None
        rows.append((level, pk, len(held.get(person_id, ())), mean, int(n)))
    rows.sort(key=lambda r: (-r[0], -r[2], r[3] is None, -(r[3] or 0.0)))
    return ExpertRanking([row[1:] for row in rows], held)


SKILL_COUNTS_TIMEOUT = 60 * 60  # a bound for writes no code path announces (raw SQL)


def skills_most_common() -> list[Tag]:
    """The most declared skills (tags with ``n_people``: active people who declared them).

    The same for everyone and a count over every skill, so it is cached under the version
    token that ``skill_counts_changed`` replaces on every change of skills, people or tags.
    """
    version = cache.get(SKILL_COUNTS_VERSION_KEY)
    if version is None:
        cache.add(SKILL_COUNTS_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(SKILL_COUNTS_VERSION_KEY)
    key = f"people:skill-counts:{version}"
    rows = cache.get(key) if version is not None else None
    if rows is None:
        rows = list(
            Tag.objects.annotate(n_people=Count("skills", filter=Q(skills__person__is_active=True)))
            .filter(n_people__gt=0)
            .order_by("-n_people", "name")
            .values_list("pk", "name", "slug", "n_people")[:COMMON_SKILLS]
        )
        if version is not None:
            cache.set(key, rows, SKILL_COUNTS_TIMEOUT)
    tags = []
    for pk, name, slug, n_people in rows:
        tag = Tag(pk=pk, name=name, slug=slug)
        tag.n_people = n_people  # type: ignore[attr-defined]
        tags.append(tag)
    return tags
