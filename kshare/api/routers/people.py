"""People: a limited view of the directory.

Everyone sees id, display name, team and skills of active people. The e-mail address is shown to
admins only (``email`` is null for everyone else): the API makes bulk export easy, so it leaves
out what the web profile shows one person at a time. Deactivated people are 404.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kshare.api.errors import not_found
from kshare.api.pagination import PageQuery, cursor_page
from kshare.api.schemas import ERRORS, Page, QueryId, QueryText, TeamRef
from kshare.api.util import PathId
from kshare.people.models import Person, Team
from kshare.people.selectors import people_directory

router = Router(tags=["people"])


class SkillOut(Schema):
    tag: str
    slug: str
    level: Literal[1, 2, 3] = Field(description="1 basic, 2 working, 3 expert")


class PersonOut(Schema):
    id: int
    display_name: str
    team: TeamRef | None
    skills: list[SkillOut]
    email: str | None = Field(description="admins only; null for everyone else")
    url: str


class PeopleFilters(Schema):
    q: QueryText | None = Field(None, description="words matching name, team or skill")
    team: QueryId | None = Field(None, description="team id")


def person_out(person: Person, *, viewer: Person) -> dict[str, Any]:
    return {
        "id": person.pk,
        "display_name": person.display_name,
        "team": {"id": person.team.pk, "name": person.team.name} if person.team else None,
        "skills": [
            {"tag": s.tag.name, "slug": s.tag.slug, "level": s.level} for s in person.skills.all()
        ],
        "email": person.email if viewer.is_admin else None,
        "url": f"/people/{person.pk}/",
    }


@router.get("", response={200: Page[PersonOut], **ERRORS}, summary="List people")
def person_list(
    request: HttpRequest, filters: Query[PeopleFilters], page: Query[PageQuery]
) -> dict[str, Any]:
    """Active people by display name; ``q`` matches name, team or skill (as the directory)."""
    team = None
    if filters.team:
        team = Team.objects.filter(pk=filters.team).first()
    people = people_directory(query=filters.q or "", team=team)
    if filters.team and team is None:
        people = people.none()  # an unknown team: no one, but the cursor is still checked
    result = cursor_page(people, cursor=page.cursor, limit=page.limit, order=("display_name", "id"))
    viewer = request.user
    return {
        "items": [person_out(p, viewer=viewer) for p in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@router.get("/{person_id}", response={200: PersonOut, **ERRORS}, summary="One person")
def person_detail(request: HttpRequest, person_id: PathId) -> dict[str, Any]:
    person = people_directory().filter(pk=person_id).first()
    if person is None:
        raise not_found(_("No such person."))
    return person_out(person, viewer=request.user)
