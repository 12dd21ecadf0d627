"""The ideas board's parts of other apps' pages (kshare/core/pages.py)."""

from __future__ import annotations

from django.http import HttpRequest

from kshare.core.pages import part_register
from kshare.ideas.selectors import PROFILE_IDEAS, ideas_by_author
from kshare.ideas.views import idea_context
from kshare.people.models import Person
from kshare.sessions.models import Session


def session_ideas(request: HttpRequest, session: Session, *, can_edit: bool) -> dict:
    """The session page's ideas section (everybody who sees the session may add one)."""
    return idea_context(request, session)


def person_ideas(request: HttpRequest, person: Person) -> dict:
    """A profile's "Ideas": those ``person`` wrote that the reader may see, newest first."""
    return {"ideas": list(ideas_by_author(viewer=request.user, author=person)[:PROFILE_IDEAS])}


def register() -> None:
    part_register(
        region="person.profile",
        name="ideas.profile",
        template="ideas/_profile_ideas.html",
        context=person_ideas,
    )
    part_register(
        region="session.discussion",
        name="ideas.session",
        template="ideas/_session_ideas.html",
        context=session_ideas,
    )
