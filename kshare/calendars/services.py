"""Writes for calendar feeds (stars are sessions' own: ``kshare.sessions.stars``)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from kshare.calendars.models import CalendarFeed, feed_token
from kshare.people.models import Person


def feed_create(*, person: Person, include_rhythm: bool | None = None) -> CalendarFeed:
    """``person``'s feed, created with a new secret token when they have none.

    Idempotent and race-safe: two clicks at once leave one feed (the person is unique), and an
    existing feed keeps its token. ``include_rhythm`` given: stored on the feed.
    """
    try:
        with transaction.atomic():
            feed, _ = CalendarFeed.objects.get_or_create(person=person)
    except IntegrityError:
        # The concurrent request created it first.
        feed = CalendarFeed.objects.get(person=person)
    if include_rhythm is not None and feed.include_rhythm != include_rhythm:
        feed.include_rhythm = include_rhythm
        feed.save(update_fields=["include_rhythm"])
    return feed


@transaction.atomic
def feed_reset(*, person: Person) -> CalendarFeed:
    """Give ``person``'s feed a new secret token: the old address (and every programme feed
    address carrying it) answers 404 from now on. Creates the feed when there is none."""
    feed = feed_create(person=person)
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    feed.token = feed_token()
    feed.save(update_fields=["token"])
    return feed


def feed_revoke(*, person: Person) -> bool:
    """Delete ``person``'s feed: its address answers 404. Returns whether there was one."""
    deleted, _ = CalendarFeed.objects.filter(person=person).delete()
    return deleted > 0


def feed_settings_set(*, person: Person, include_rhythm: bool) -> CalendarFeed:
    """Whether the feed carries the information-sharing rhythm (company-wide and the person's
    team), creating the feed when needed."""
    return feed_create(person=person, include_rhythm=include_rhythm)
