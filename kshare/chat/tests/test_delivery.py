"""Announcements reach a real HTTP receiver on loopback that checks Block Kit's rules and fails
as Slack does: posted once per channel, retried after Retry-After on 429, the channel disabled
(and its organisers told, once) on 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from kshare.chat.models import ChatChannel, ChatPost, Platform
from kshare.chat.services import channel_connect, chat_post_deliver, chat_posts_tick, retry_after
from kshare.outbox.models import OutboxMessage
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions import services
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

HOOK = "/services/T000/B000/XXXXsecretXXXX"


@pytest.fixture
def world(db, slack_receiver):
    programme = ProgrammeFactory(name="Tech talks")
    organiser = OrganiserFactory(email="olga@example.com", display_name="Olga")
    programme.organisers.add(organiser)
    channel = channel_connect(
        by=organiser,
        platform=Platform.SLACK,
        name="#tech-talks",
        url=slack_receiver.url(HOOK),
        programme=programme,
        timezone_name="Europe/Berlin",
    )
    host = PersonFactory(display_name="Ada Host")
    return {"programme": programme, "organiser": organiser, "channel": channel, "host": host}


def proposal(world, **kwargs):
    return SessionFactory(
        programme=world["programme"], host=world["host"], title="Pandas tricks", **kwargs
    )


def schedule(session, by, capture, start=None):
    start = start or (timezone.now() + timedelta(days=10)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    with capture(execute=True):
        services.session_schedule(session=session, start=start, end=None, by=by)
    session.refresh_from_db()
    return session


def test_the_webhook_address_is_stored_encrypted(world):
    with connection.cursor() as cursor:
        cursor.execute("SELECT url_sealed, url_hint FROM chat_chatchannel")
        [(sealed, hint)] = cursor.fetchall()
    assert "XXXXsecretXXXX" not in sealed and "127.0.0.1" not in sealed
    assert hint == "127.0.0.1/…XXXX"


def test_scheduling_a_public_session_posts_once_in_block_kit(
    world, slack_receiver, django_capture_on_commit_callbacks
):
    session = schedule(proposal(world), world["host"], django_capture_on_commit_callbacks)
    [received] = slack_receiver.received
    assert (received.path, received.problems) == (HOOK, [])
    body = received.body
    assert body["text"] == "New session: Pandas tricks"
    blocks = body["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "New session"}}
    page = f"http://127.0.0.1:8000/sessions/{session.pk}/"
    assert blocks[1]["text"]["text"] == f"*<{page}|Pandas tricks>*"
    when = [f["text"] for f in blocks[2]["fields"] if f["text"].startswith("*When*")]
    assert len(when) == 1 and when[0].endswith("(Europe/Berlin)")
    assert blocks[-1]["elements"][0]["url"] == page
    assert blocks[-1]["elements"][0]["text"]["text"] == "RSVP"
    post = ChatPost.objects.get()
    assert (post.status, post.attempts, post.response_status) == ("sent", 1, 200)

    # The tick finds nothing more to send, and the same announcement is not made twice.
    chat_posts_tick(now=timezone.now() + timedelta(hours=1))
    assert len(slack_receiver.received) == 1


def test_a_move_posts_the_new_time_and_a_cancel_follows_where_it_was_announced(
    world, slack_receiver, django_capture_on_commit_callbacks
):
    session = schedule(proposal(world), world["host"], django_capture_on_commit_callbacks)
    schedule(
        session,
        world["host"],
        django_capture_on_commit_callbacks,
        start=session.start + timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=session, by=world["host"], reason="")
    assert [r.body["text"] for r in slack_receiver.received] == [
        "New session: Pandas tricks",
        "New time: Pandas tricks",
        "Cancelled: Pandas tricks",
    ]
    assert all(r.problems == [] for r in slack_receiver.received)


def test_sessions_not_open_to_everyone_and_other_programmes_are_not_posted(
    world, slack_receiver, django_capture_on_commit_callbacks
):
    secret = proposal(world, visibility=Visibility.INVITE_ONLY)
    schedule(secret, world["host"], django_capture_on_commit_callbacks)
    elsewhere = SessionFactory(programme=ProgrammeFactory(), host=world["host"])
    schedule(elsewhere, world["host"], django_capture_on_commit_callbacks)
    # A cancellation of a session never announced is not posted either.
    never = proposal(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=never, by=world["host"], reason="")
    assert slack_receiver.received == []
    assert ChatPost.objects.count() == 0


def test_an_installation_channel_gets_every_programme(
    world, slack_receiver, django_capture_on_commit_callbacks
):
    channel_connect(
        by=AdminFactory(),
        platform=Platform.SLACK,
        name="#all",
        url=slack_receiver.url("/services/all"),
    )
    elsewhere = SessionFactory(programme=ProgrammeFactory(), host=world["host"])
    schedule(elsewhere, world["host"], django_capture_on_commit_callbacks)
    assert [r.path for r in slack_receiver.received] == ["/services/all"]


def test_a_429_is_retried_after_its_retry_after_and_delivered_once(
    world, slack_receiver, django_capture_on_commit_callbacks
):
    slack_receiver.answers = [(429, {"Retry-After": "120"})]
    before = timezone.now()
    schedule(proposal(world), world["host"], django_capture_on_commit_callbacks)
    post = ChatPost.objects.get()
    assert (post.status, post.attempts, post.response_status) == ("queued", 1, 429)
    assert before + timedelta(seconds=119) <= post.next_attempt_at
    assert post.next_attempt_at <= timezone.now() + timedelta(seconds=121)

    assert (
        chat_post_deliver(post_id=post.pk, now=post.next_attempt_at - timedelta(seconds=5)) is False
    )
    assert len(slack_receiver.received) == 1
    chat_posts_tick(now=post.next_attempt_at + timedelta(seconds=1))
    post.refresh_from_db()
    assert (post.status, post.attempts, post.response_status) == ("sent", 2, 200)
    assert slack_receiver.received[0].body == slack_receiver.received[1].body
    chat_posts_tick(now=post.next_attempt_at + timedelta(hours=1))
    assert len(slack_receiver.received) == 2


def test_a_404_disables_the_channel_and_tells_its_organisers_once(
    world, slack_receiver, django_capture_on_commit_callbacks
):
    slack_receiver.answers = [(404, {})]
    schedule(proposal(world), world["host"], django_capture_on_commit_callbacks)
    post = ChatPost.objects.get()
    assert (post.status, post.response_status) == ("failed", 404)
    channel = ChatChannel.objects.get()
    assert channel.active is False
    assert channel.disabled_reason == (
        "The platform answered HTTP 404: the webhook was removed or revoked."
    )
    [told] = OutboxMessage.objects.filter(kind="chat_channel_disabled")
    assert told.to == ["olga@example.com"]
    assert [m.subject for m in mail.outbox if m.to == ["olga@example.com"]] == [
        "kshare stopped posting to Slack #tech-talks"
    ]
    # Nothing more is posted there, and nobody is told twice.
    schedule(proposal(world), world["host"], django_capture_on_commit_callbacks)
    assert len(slack_receiver.received) == 1
    assert OutboxMessage.objects.filter(kind="chat_channel_disabled").count() == 1


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30), ("0", 0), ("86400", 3600), ("soon", None), (None, None)],
)
def test_retry_after_reads_seconds_and_is_capped_at_an_hour(value, seconds):
    wait = retry_after(value, now=timezone.now())
    assert wait == (None if seconds is None else timedelta(seconds=seconds))


def test_retry_after_reads_an_http_date():
    now = timezone.now().replace(microsecond=0)
    later = now + timedelta(seconds=90)
    assert retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"), now=now) == timedelta(
        seconds=90
    )
