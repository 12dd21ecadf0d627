"""Stars: the sessions someone is interested in (their agenda, also in their calendar feed).

Sessions owns ``Star``, so the writes and the star reads live here; the agenda page and the
feeds (``kshare.calendars``) and the star button's template tags call them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from kshare.people.models import Person
from kshare.sessions.models import Session, Star


def star_set(*, session: Session, person: Person, on: bool) -> bool:
    """Make ``person``'s star on ``session`` exist (``on``) or not; returns whether it exists.

    The desired state, not a toggle: a double click or a repeated request keeps exactly one
    star, and the unique constraint holds it when two requests race. The caller checks that
    ``person`` may see ``session``.
    """
    if not on:
        Star.objects.filter(session=session, person=person).delete()
        return False
    try:
        with transaction.atomic():
            Star.objects.get_or_create(session=session, person=person)
    except IntegrityError:
        # A concurrent request inserted the same star first (or the session was just deleted).
        pass
    return Star.objects.filter(session=session, person=person).exists()


def star_exists(*, person: Person, session: Session) -> bool:
    if not person.is_authenticated:
        return False
    return Star.objects.filter(person=person, session=session).exists()


def star_ids(*, person: Person, session_ids: Iterable[int]) -> set[int]:
    """Which of ``session_ids`` ``person`` starred (one query for a whole list)."""
    ids = list(session_ids)
    if not ids or not person.is_authenticated:
        return set()
    return set(
        Star.objects.filter(person=person, session_id__in=ids).values_list("session_id", flat=True)
    )
