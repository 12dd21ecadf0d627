"""Reads of ideas, with visibility applied: the one place a permission-aware idea query lives."""

from __future__ import annotations

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from kshare.ideas.models import Idea, IdeaComment, IdeaStatusChange, IdeaVote, ProductArea
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.models import Session
from kshare.sessions.selectors import sessions_visible_to
from kshare.visibility.rules import visible_session_ids

PROFILE_IDEAS = 20
SESSION_IDEAS = 20

ORDERINGS = {
    "top": ("-vote_total", "-created_at", "-id"),
    "new": ("-created_at", "-id"),
}


def ideas_visible_to(*, person: Person, session: Session | None = None) -> QuerySet[Idea]:
    """Ideas ``person`` may see (only those of ``session`` when given).

    An idea attached to a session is visible exactly when the session is; an idea that only
    belongs to a product area is visible to every signed-in person. With ``session`` the rule
    is tested on that one session, not on the set of every session ``person`` may see (which
    costs a visibility test of each of the organisation's sessions).
    """
    ideas = Idea.objects.all() if session is None else Idea.objects.filter(session=session)
    if not person.is_authenticated or not person.is_active:
        return ideas.none()
    if person.is_admin:
        return ideas
    visible = sessions_visible_to(person=person)
    if session is not None:
        visible = visible.filter(pk=session.pk)
    return ideas.filter(Q(session__isnull=True) | Q(session__in=visible.values("pk")))


def _count(model: type[IdeaVote] | type[IdeaComment], *, field: str = "idea") -> Coalesce:
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _for_list(ideas: QuerySet[Idea], *, person: Person, promoted: bool = True) -> QuerySet[Idea]:
    """Everything an idea row shows, in one query: counts, "did I vote", and (unless
    ``promoted`` is false: see ``promoted_visible_mark``) whether the session it became may be
    shown to ``person`` (its title must not leak otherwise)."""
    ideas = ideas.select_related("author", "session", "area", "promoted_session").annotate(
        vote_total=_count(IdeaVote),
        comment_total=_count(IdeaComment),
        voted=Exists(IdeaVote.objects.filter(idea=OuterRef("pk"), person_id=person.pk)),
    )
    if not promoted:
        return ideas
    return ideas.annotate(
        promoted_visible=Exists(
            sessions_visible_to(person=person).filter(pk=OuterRef("promoted_session_id"))
        )
    )


def promoted_visible_mark(ideas: list[Idea], *, person: Person) -> list[Idea]:
    """Sets ``promoted_visible`` on ideas fetched without it: one query when one of them became
    a session, none otherwise (the common case, where ``_for_list``'s annotation would still
    cost building and compiling the whole visibility rule into the list's query)."""
    promoted = {idea.promoted_session_id for idea in ideas if idea.promoted_session_id}
    visible = visible_session_ids(person=person, ids=promoted) if promoted else set()
    for idea in ideas:
        idea.promoted_visible = idea.promoted_session_id in visible  # type: ignore[attr-defined]
    return ideas


def ideas_board(
    *,
    person: Person,
    order: str = "top",
    area: ProductArea | None = None,
    session: Session | None = None,
) -> QuerySet[Idea]:
    """Visible ideas, most voted (or newest) first, optionally for one area or session."""
    ideas = ideas_visible_to(person=person, session=session)
    if area is not None:
        ideas = ideas.filter(area=area)
    return _for_list(ideas, person=person).order_by(*ORDERINGS.get(order, ORDERINGS["top"]))


def idea_row(*, person: Person, pk: int) -> Idea | None:
    return _for_list(ideas_visible_to(person=person), person=person).filter(pk=pk).first()


def idea_detail(*, person: Person, pk: int) -> Idea | None:
    """The idea with its comments and history, or ``None`` when it does not exist for ``person``."""
    return (
        _for_list(ideas_visible_to(person=person), person=person)
        .select_related("session__programme")
        .prefetch_related(
            Prefetch("comments", queryset=IdeaComment.objects.select_related("author")),
            Prefetch("status_changes", queryset=IdeaStatusChange.objects.select_related("by")),
        )
        .filter(pk=pk)
        .first()
    )


def ideas_by_author(*, viewer: Person, author: Person) -> QuerySet[Idea]:
    """Ideas ``author`` wrote that ``viewer`` may see, newest first (for the profile)."""
    return ideas_board(person=viewer, order="new").filter(author=author)


def ideas_from_session(*, person: Person, session: Session) -> QuerySet[Idea]:
    """The ideas of ``session``, most voted first, WITHOUT ``promoted_visible`` (mark the rows
    shown with ``promoted_visible_mark``).

    ``session`` must be one the caller has found ``person`` may see (the session page and the
    idea form on it do): an idea of a session is visible exactly when its session is, so the
    rule is not tested a second time."""
    if not person.is_authenticated or not person.is_active:
        return Idea.objects.none()
    ideas = Idea.objects.filter(session=session)
    return _for_list(ideas, person=person, promoted=False).order_by(*ORDERINGS["top"])


def ideas_promoted_into(*, person: Person, session: Session) -> list[Idea]:
    """The visible ideas ``session`` was created from, oldest first: one query, and a second
    only when some of them belong to a session (whose visibility then decides)."""
    if not person.is_authenticated or not person.is_active:
        return []
    ideas = list(Idea.objects.filter(promoted_session=session).order_by("pk"))
    sources = {idea.session_id for idea in ideas if idea.session_id is not None}
    if not sources or person.is_admin:
        return ideas
    visible = visible_session_ids(person=person, ids=sources)
    return [idea for idea in ideas if idea.session_id is None or idea.session_id in visible]


def idea_can_manage(*, person: Person, idea: Idea) -> bool:
    """Who may promote an idea (and change its status): admins; organisers of the idea's
    session's programme; for an idea of a product area, any organiser."""
    if not person.is_authenticated or not person.is_active:
        return False
    if person.is_admin:
        return True
    if not person.is_organiser:
        return False
    if idea.session_id is None or idea.area_id is not None:
        return True
    return Programme.organisers.through.objects.filter(
        programme_id=Session.objects.filter(pk=idea.session_id).values("programme_id")[:1],
        person_id=person.pk,
    ).exists()


def idea_can_set_status(*, person: Person, idea: Idea) -> bool:
    return idea.author_id == person.pk or idea_can_manage(person=person, idea=idea)


def areas_with_counts(*, person: Person) -> QuerySet[ProductArea]:
    """Product areas with the number of their ideas ``person`` may see."""
    visible = (
        ideas_visible_to(person=person)
        .filter(area=OuterRef("pk"))
        .order_by()
        .values("area")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return ProductArea.objects.annotate(
        idea_total=Coalesce(Subquery(visible, output_field=IntegerField()), Value(0))
    ).order_by("name")
