"""DTSTAMP moves whenever SEQUENCE does: cancelling, moving or restoring one occurrence of a
rhythm event gives every VEVENT of the series in the feed a new DTSTAMP, at or after the
change (iCalendar's resolution is a second), as well as the next SEQUENCE."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kshare.calendars.tests.feed_support import events, feed_of, local, parse, weekly_huddle
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.scheduling.rhythm.services import (
    rhythm_occurrence_cancel,
    rhythm_occurrence_move,
    rhythm_occurrence_restore,
)

pytestmark = pytest.mark.django_db

TZ = "Europe/Berlin"
MONDAY = date(2027, 1, 4)


def stamps(client, feed) -> set[tuple]:
    """(DTSTAMP, SEQUENCE) of every VEVENT in the feed (the series and its overrides)."""
    cal = parse(client.get(reverse("calendars:person_feed", args=[feed.token])))
    return {(e["DTSTAMP"].dt, int(e["SEQUENCE"])) for e in events(cal)}


def an_hour_ago(event: RhythmEvent) -> None:
    RhythmEvent.objects.filter(pk=event.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    event.refresh_from_db()


@pytest.mark.parametrize("change", ["cancel", "move", "restore"])
def test_an_occurrence_change_moves_dtstamp_with_sequence(client, person, change):
    event = weekly_huddle(
        tz_name=TZ,
        first_monday=MONDAY,
        moved=(MONDAY + timedelta(days=7), MONDAY + timedelta(days=8), 11),
    )
    an_hour_ago(event)
    feed = feed_of(person, include_rhythm=True)
    [(old_stamp, old_sequence)] = stamps(client, feed)  # the series and its override agree
    assert old_stamp <= timezone.now() - timedelta(minutes=59)

    changed_at = timezone.now().replace(microsecond=0)
    monday = MONDAY + timedelta(days=14)
    if change == "cancel":
        rhythm_occurrence_cancel(event=event, original_start=local(TZ, monday, 9, 30))
    elif change == "move":
        start = local(TZ, monday, 15)
        rhythm_occurrence_move(
            event=event,
            original_start=local(TZ, monday, 9, 30),
            new_start=start,
            new_end=start + timedelta(minutes=30),
        )
    else:
        assert rhythm_occurrence_restore(
            event=event, original_start=local(TZ, MONDAY + timedelta(days=7), 9, 30)
        )

    [(new_stamp, new_sequence)] = stamps(client, feed)
    assert new_sequence == old_sequence + 1
    assert new_stamp != old_stamp
    assert changed_at <= new_stamp <= timezone.now()
    event.refresh_from_db()
    assert event.updated_at >= changed_at
