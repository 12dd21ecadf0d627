"""Star state for templates that other apps render (the session page, session lists), so their
views need not know about stars."""

from __future__ import annotations

from django import template

from kshare.sessions import stars

register = template.Library()


@register.simple_tag(takes_context=True)
def session_starred(context, session) -> bool:
    """Whether the signed-in person starred ``session`` (one query)."""
    return stars.star_exists(person=context["request"].user, session=session)


@register.simple_tag(takes_context=True)
def starred_ids(context, sessions) -> set[int]:
    """The ids of ``sessions`` the signed-in person starred: one query for a whole list."""
    if not sessions:
        return set()
    return stars.star_ids(
        person=context["request"].user, session_ids=[session.pk for session in sessions]
    )


@register.filter
def starred_in(session, ids) -> bool:
    """``{{ session|starred_in:starred_session_ids }}``: whether the id is in the set."""
    return bool(ids) and session.pk in ids
