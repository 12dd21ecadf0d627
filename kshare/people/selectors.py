"""Reads of people: the directory, a profile, the skills most declared. (The sessions and ideas a
profile shows are parts the sessions and ideas apps register, and the expertise ranking, which
reads held sessions and their feedback, is ``kshare.feedback.experts``.)"""

from __future__ import annotations

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from kshare.people.models import AccountInvite, Person, Skill, Team
from kshare.people.services import SKILL_COUNTS, account_invite_token_hash
from kshare.tags.models import Tag
from kshare.tags.services import tag_slug


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


def account_invite_for_token(*, token: str) -> AccountInvite | None:
    return (
        AccountInvite.objects.select_related("team", "invited_by")
        .filter(token_hash=account_invite_token_hash(token))
        .first()
    )


# -- the expertise directory ("who knows Kubernetes?") ------------------------------------

COMMON_SKILLS = 24


def skill_tag_find(text: str) -> Tag | None:
    """The tag called ``text`` (any case), or whose slug ``text`` is."""
    if not text:
        return None
    return (
        Tag.objects.filter(Q(slug=tag_slug(text)) | Q(slug=text) | Q(name__iexact=text))
        .order_by("name", "pk")
        .first()
    )


def skills_most_common() -> list[Tag]:
    """The most declared skills (tags with ``n_people``: active people who declared them).

    The same for everyone and a count over every skill, so it is cached under the version
    token that ``skill_counts_changed`` replaces on every change of skills, people or tags.
    """

    def compute() -> list[tuple[int, str, str, int]]:
        return list(
            Tag.objects.annotate(n_people=Count("skills", filter=Q(skills__person__is_active=True)))
            .filter(n_people__gt=0)
            .order_by("-n_people", "name")
            .values_list("pk", "name", "slug", "n_people")[:COMMON_SKILLS]
        )

    rows = SKILL_COUNTS.get(compute)
    tags = []
    for pk, name, slug, n_people in rows:
        tag = Tag(pk=pk, name=name, slug=slug)
        tag.n_people = n_people  # type: ignore[attr-defined]
        tags.append(tag)
    return tags
