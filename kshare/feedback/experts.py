"""The expertise directory's ranking: "who knows Kubernetes?", best first.

It ranks the people with a skill (people) by the held sessions they hosted on it (sessions) and
those sessions' feedback (feedback), so it lives in the lowest app that sees all three: here,
not in people, which sits below sessions and feedback. The page is ``views_experts.py``,
still at ``/people/experts/`` (kshare/urls.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import overload

from django.db.models import F

from kshare.feedback.results import overall_ratings_by_session
from kshare.people.models import Person, Skill
from kshare.sessions.models import Session, SessionHost, State
from kshare.sessions.selectors import sessions_visible_to
from kshare.tags.models import Tag

SESSIONS_SHOWN = 3


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
    that ``viewer`` may see (visibility tested once, on the tag's sessions only) and the skills'
    light rows; the sessions' rating sums and counts come from ``overall_ratings_by_session``
    (cached; one grouped query when feedback changed). The ranking is then sorted here. (It was
    a correlated subquery per person, each rebuilding the visible set, then two per session.)
    """
    # Filtered by the tag's session ids rather than joined to the tags: the database then
    # starts from the tag's sessions and tests visibility on those, not on every held session.
    held_on_tag = sessions_visible_to(person=viewer).filter(
        state=State.HELD,
        pk__in=Session.tags.through.objects.filter(tag=tag).values("session_id"),
    )
    links = (
        SessionHost.objects.filter(session__in=held_on_tag.values("pk"))
        .order_by(F("session__start").desc(nulls_last=True), "-session_id")
        .values_list("person_id", "session_id")
    )
    # Every session's released overall ratings, cached until feedback changes (``results``).
    ratings = overall_ratings_by_session()
    held: dict[int, list[int]] = defaultdict(list)
    totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for person_id, session_id in links:
        held[person_id].append(session_id)
        rating = ratings.get(session_id)
        if rating is not None:
            totals[person_id][0] += rating[0]
            totals[person_id][1] += rating[1]
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
