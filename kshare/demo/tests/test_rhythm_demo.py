"""The demo organisation's information-sharing rhythm."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kshare.demo import content as c
from kshare.demo.generator import demo_organisation_create
from kshare.scheduling.rhythm.models import RhythmEvent, RhythmException
from kshare.scheduling.rhythm.selectors import rhythm_occurrences

BERLIN = ZoneInfo("Europe/Berlin")
# A fixed "now" (Wednesday 11 November 2026, Berlin): the examples' dates follow from it.
NOW = datetime(2026, 11, 11, 12, 0, tzinfo=BERLIN)


@pytest.mark.django_db
def test_demo_has_the_huddle_figure_friday_and_a_kick_off_per_team():
    summary = demo_organisation_create(people=20, seed=3, now=NOW)
    events = {
        e.name: (
            e.rrule,
            f"{e.starts.astimezone(BERLIN):%a %H:%M}",
            e.duration_minutes,
            e.timezone,
            e.team.name if e.team else None,
        )
        for e in RhythmEvent.objects.select_related("team")
    }
    assert events.pop("Weekly Huddle") == (
        "FREQ=WEEKLY;BYDAY=MO",
        "Mon 09:30",
        30,
        "Europe/Berlin",
        None,
    )
    assert events.pop("Figure Friday") == (
        "FREQ=MONTHLY;BYDAY=1FR",
        "Fri 16:00",
        60,
        "Europe/Berlin",
        None,
    )
    assert events == {
        f"{spec.name} kick-off": (
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "Mon 09:00",
            15,
            "Europe/Berlin",
            spec.name,
        )
        for spec in c.TEAMS
    }
    assert summary.counts["scheduling.RhythmEvent"] == 2 + len(c.TEAMS)
    exceptions = [
        (
            e.event.name,
            f"{e.original_start.astimezone(BERLIN):%Y-%m-%d %H:%M}",
            e.cancelled,
            e.new_start and f"{e.new_start.astimezone(BERLIN):%Y-%m-%d %H:%M}",
            e.new_end and f"{e.new_end.astimezone(BERLIN):%H:%M}",
        )
        for e in RhythmException.objects.select_related("event").order_by("original_start")
    ]
    assert exceptions == [
        ("Weekly Huddle", "2026-11-23 09:30", True, None, None),
        ("Figure Friday", "2026-12-04 16:00", False, "2026-12-04 17:00", "18:00"),
    ]


@pytest.mark.django_db
def test_demo_rhythm_in_a_week_with_the_examples():
    demo_organisation_create(people=20, seed=3, now=NOW)
    first_team = RhythmEvent.objects.filter(team__isnull=False).order_by("name").first()
    monday = datetime(2026, 11, 23, tzinfo=BERLIN)
    week = rhythm_occurrences(
        after=monday, before=monday + timedelta(days=7), team_ids=[first_team.team_id]
    )
    assert [(o.name, f"{o.start.astimezone(BERLIN):%a %H:%M}") for o in week] == [
        (first_team.name, f"{day} 09:00") for day in ["Mon", "Tue", "Wed", "Thu", "Fri"]
    ]  # no huddle: the offsite
    december = rhythm_occurrences(
        after=datetime(2026, 12, 1, tzinfo=BERLIN),
        before=datetime(2026, 12, 8, tzinfo=BERLIN),
        team_ids=[],
    )
    assert [(o.name, f"{o.start.astimezone(BERLIN):%a %d %H:%M}", o.moved) for o in december] == [
        ("Figure Friday", "Fri 04 17:00", True),
        ("Weekly Huddle", "Mon 07 09:30", False),
    ]


@pytest.mark.django_db
def test_demo_rhythm_follows_today():
    now = timezone.now()
    demo_organisation_create(people=10, seed=1, now=now)
    cancelled = RhythmException.objects.get(cancelled=True)
    assert timedelta(days=7) < cancelled.original_start - now < timedelta(days=15)
    moved = RhythmException.objects.get(cancelled=False)
    assert timedelta(0) < moved.original_start - now < timedelta(days=40)
