"""The tick's announcements: the reminder the day before, "starting in 15 minutes" with the join
link, "recording and notes available" and the weekly digest — each once per channel, however
often the tick runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kshare.chat.models import ChatPost, Platform
from kshare.chat.services import DIGEST_WEEKDAY, channel_connect, chat_announce_due
from kshare.library.tests.factories import MaterialFactory
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import State
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.topics.tests.factories import TopicRequestFactory, TopicVoteFactory

pytestmark = pytest.mark.django_db

# A Monday, 08:30 in Berlin (07:30 UTC in December).
MONDAY = datetime(2030, 12, 2, 7, 30, tzinfo=UTC)


@pytest.fixture
def channel(db, slack_receiver):
    programme = ProgrammeFactory(name="Tech talks")
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    return channel_connect(
        by=organiser,
        platform=Platform.SLACK,
        name="#tech-talks",
        url=slack_receiver.url("/services/T/B/x"),
        programme=programme,
        timezone_name="Europe/Berlin",
    )


def session_at(channel, start, **kwargs):
    return ScheduledSessionFactory(
        programme=channel.programme,
        start=start,
        end=start + timedelta(minutes=45),
        title=kwargs.pop("title", "Pandas tricks"),
        **kwargs,
    )


def texts(receiver) -> list[str]:
    assert all(r.problems == [] for r in receiver.received)
    return [r.body["text"] for r in receiver.received]


def not_digest_day() -> datetime:
    """Now, or a day or two later when now (or the hour after it) is Monday in the channel's
    zone: on Mondays from 08:00 the tick also posts the weekly digest, which the tests of the
    other announcements are not about (they failed when the suite ran on a Monday morning)."""
    now = timezone.now().replace(microsecond=0)
    berlin = ZoneInfo("Europe/Berlin")
    while any(
        (now + timedelta(hours=hours)).astimezone(berlin).weekday() == DIGEST_WEEKDAY
        for hours in (0, 2)
    ):
        now += timedelta(days=1)
    return now


def tick(now, capture):
    with capture(execute=True):
        return chat_announce_due(now=now)


def test_the_day_before_a_reminder_is_posted_once(
    channel, slack_receiver, django_capture_on_commit_callbacks
):
    now = not_digest_day()
    session_at(channel, now + timedelta(hours=25))  # not yet
    session = session_at(channel, now + timedelta(hours=23), title="Tomorrow's talk")
    first = tick(now, django_capture_on_commit_callbacks)
    again = tick(now + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert (first["reminders"], again["reminders"]) == (1, 0)
    assert texts(slack_receiver) == ["Tomorrow: Tomorrow's talk"]
    assert ChatPost.objects.get().key == f"reminder:{session.pk}:{int(session.start.timestamp())}"


def test_starting_in_15_minutes_carries_the_join_and_check_in_link(
    channel, slack_receiver, django_capture_on_commit_callbacks
):
    now = not_digest_day()
    session = session_at(
        channel, now + timedelta(minutes=14), call_url="https://meet.example.com/x"
    )
    assert tick(now, django_capture_on_commit_callbacks)["starting"] == 1
    assert tick(now + timedelta(minutes=2), django_capture_on_commit_callbacks)["starting"] == 0
    [received] = slack_receiver.received
    assert received.body["text"] == "Starting in 15 minutes: Pandas tricks"
    buttons = received.body["blocks"][-1]["elements"]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [
        ("Join and check in", f"http://127.0.0.1:8000/sessions/{session.pk}/join/"),
        ("Open the session", f"http://127.0.0.1:8000/sessions/{session.pk}/"),
    ]


def test_recording_and_notes_are_announced_once(
    channel, slack_receiver, django_capture_on_commit_callbacks
):
    now = not_digest_day()
    session = session_at(channel, now - timedelta(days=2), title="Held talk")
    session.state = State.HELD
    session.save()
    MaterialFactory(session=session)  # notes
    MaterialFactory(session=session)
    assert tick(now, django_capture_on_commit_callbacks)["materials"] == 1
    assert tick(now + timedelta(hours=1), django_capture_on_commit_callbacks)["materials"] == 0
    assert texts(slack_receiver) == ["Recording and notes available: Held talk"]


def test_the_weekly_digest_lists_the_week_and_the_most_wanted_topics_once(
    channel, slack_receiver, django_capture_on_commit_callbacks
):
    session_at(channel, MONDAY + timedelta(days=2), title="Wednesday talk")
    session_at(channel, MONDAY + timedelta(days=9), title="Too far")
    topic = TopicRequestFactory(title="Rust for data people")
    for _ in range(3):
        TopicVoteFactory(request=topic, person=PersonFactory())
    TopicRequestFactory(title="Nobody asked")  # no +1: not "wanted"

    assert tick(MONDAY - timedelta(hours=1), django_capture_on_commit_callbacks)["digests"] == 0
    assert tick(MONDAY, django_capture_on_commit_callbacks)["digests"] == 1
    assert tick(MONDAY + timedelta(hours=5), django_capture_on_commit_callbacks)["digests"] == 0
    [received] = slack_receiver.received
    assert received.problems == []
    sections = [b["text"]["text"] for b in received.body["blocks"] if b["type"] == "section"]
    assert sections[0] == "*Coming up*"
    assert sections[1].startswith("• <http://127.0.0.1:8000/sessions/")
    assert "|Wednesday talk> — Wednesday 4 December 2030, " in sections[1]
    assert "Too far" not in str(received.body)
    assert sections[2:] == [
        "*Most wanted topics*",
        f"• <http://127.0.0.1:8000/topics/{topic.pk}/|Rust for data people> — 3 +1s",
    ]
    assert ChatPost.objects.get().key == "digest:2030-W49"


def test_a_channel_takes_one_post_per_key():
    channel = ChatPost._meta.get_field("channel").related_model
    organiser = OrganiserFactory()
    programme = ProgrammeFactory()
    programme.organisers.add(organiser)
    made = channel_connect(
        by=organiser,
        platform=Platform.SLACK,
        name="#x",
        url="https://hooks.slack.com/services/T/B/x",
        programme=programme,
    )
    assert isinstance(made, channel)
    ChatPost.objects.create(channel=made, kind="digest", key="digest:2030-W49")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatPost.objects.create(channel=made, kind="digest", key="digest:2030-W49")
