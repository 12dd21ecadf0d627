"""The chat channels page: who may connect, test and remove; the webhook address is never
shown back; addresses kshare may not post to are refused with a reason."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.chat.models import ChatChannel, ChatPost, Platform
from kshare.chat.services import channel_connect, chat_posts_retry
from kshare.people.tests.factories import AdminFactory, OrganiserFactory
from kshare.programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T0/B0/topsecretvalue"


@pytest.fixture
def organiser_of(db):
    programme = ProgrammeFactory(name="Tech talks")
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    return organiser, programme


def form(programme=None, **changes):
    data = {
        "platform": "slack",
        "name": "#tech-talks",
        "url": SLACK,
        "programme": programme.pk if programme else "",
        "timezone": "Europe/Berlin",
    }
    return data | changes


def test_an_organiser_connects_a_channel_and_never_sees_its_address_again(client, organiser_of):
    organiser, programme = organiser_of
    client.force_login(organiser)
    response = client.post("/chat/", form(programme), follow=True)
    assert response.status_code == 200
    channel = ChatChannel.objects.get()
    assert (channel.platform, channel.name, channel.programme, channel.timezone) == (
        "slack",
        "#tech-talks",
        programme,
        "Europe/Berlin",
    )
    page = response.content.decode()
    assert "topsecretvalue" not in page
    assert "hooks.slack.com/…alue" in page
    assert "Slack #tech-talks is connected." in page


def test_members_may_not_open_the_page(member_client):
    assert member_client.get("/chat/").status_code == 403


def test_an_organiser_cannot_connect_a_programme_they_do_not_organise(client, organiser_of):
    organiser, _ = organiser_of
    other = ProgrammeFactory(name="Other")
    client.force_login(organiser)
    response = client.post("/chat/", form(other))
    assert response.status_code == 200
    assert "programme" in response.context["form"].errors
    assert ChatChannel.objects.count() == 0


@pytest.mark.parametrize(
    ("platform", "url", "message"),
    [
        (
            "slack",
            "http://hooks.slack.com/services/T0/B0/x",
            "Use the https:// address: the webhook is a secret.",
        ),
        (
            "slack",
            "https://evil.example.com/services/T0/B0/x",
            "A Slack webhook address is on hooks.slack.com; this one is on evil.example.com.",
        ),
        (
            "mattermost",
            "https://127.0.0.1/hooks/abc",
            "kshare does not post to internal addresses: 127.0.0.1 is a loopback address. Ask an "
            "administrator to allow the host (KSHARE_CHAT_ALLOW_HOSTS).",
        ),
        (
            "mattermost",
            "https://169.254.169.254/hooks/abc",
            "kshare does not post to internal addresses: 169.254.169.254 is a cloud metadata "
            "address. Ask an administrator to allow the host (KSHARE_CHAT_ALLOW_HOSTS).",
        ),
        (
            "slack",
            "javascript:alert(1)",
            "Paste the webhook address the platform gave you (https://…).",
        ),
    ],
)
def test_addresses_kshare_may_not_post_to_are_refused_with_a_reason(
    client, organiser_of, platform, url, message
):
    organiser, programme = organiser_of
    client.force_login(organiser)
    response = client.post("/chat/", form(programme, platform=platform, url=url))
    assert response.context["form"].errors["url"] == [message]
    assert ChatChannel.objects.count() == 0
    assert url not in response.content.decode()


def test_only_admins_connect_a_channel_for_every_programme(client, organiser_of):
    organiser, _ = organiser_of
    client.force_login(organiser)
    assert "programme" in client.post("/chat/", form()).context["form"].errors
    client.force_login(AdminFactory())
    client.post("/chat/", form())
    assert ChatChannel.objects.get().programme is None


def test_test_and_remove(client, organiser_of, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    organiser, programme = organiser_of
    channel = channel_connect(
        by=organiser, platform=Platform.SLACK, name="#x", url=SLACK, programme=programme
    )
    client.force_login(organiser)
    response = client.post(f"/chat/{channel.pk}/test/")
    assert (response.status_code, response["Location"]) == (302, "/chat/")
    post = ChatPost.objects.get()
    assert (post.kind, post.status, post.payload["text"]) == (
        "test",
        "queued",
        "kshare is connected",
    )
    assert client.post(f"/chat/{channel.pk}/remove/").status_code == 302
    assert ChatChannel.objects.count() == ChatPost.objects.count() == 0


def test_another_organisers_channel_is_a_404(client, organiser_of):
    organiser, programme = organiser_of
    channel = channel_connect(
        by=organiser, platform=Platform.SLACK, name="#x", url=SLACK, programme=programme
    )
    client.force_login(OrganiserFactory())
    assert client.post(f"/chat/{channel.pk}/remove/").status_code == 404
    assert client.post(f"/chat/{channel.pk}/test/").status_code == 404
    assert ChatChannel.objects.count() == 1


def test_the_page_takes_as_many_queries_for_one_channel_as_for_many(
    client, organiser_of, django_assert_num_queries, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    organiser, programme = organiser_of
    client.force_login(organiser)

    def connect(n):
        channel = channel_connect(
            by=organiser, platform=Platform.SLACK, name=f"#c{n}", url=SLACK, programme=programme
        )
        for i in range(7):
            ChatPost.objects.create(channel=channel, kind="test", key=f"test:{n}:{i}")
        return channel

    connect(0)
    client.get("/chat/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        page = client.get("/chat/").content.decode()
    assert page.count("Test message: Queued") == 5  # the last five posts
    for n in range(1, 4):
        connect(n)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get("/chat/").content.decode()
    assert page.count("Test message: Queued") == 20


def test_retry_now_queues_failed_posts_again_and_leaves_sent_ones(organiser_of, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    organiser, programme = organiser_of
    channel = channel_connect(
        by=organiser, platform=Platform.SLACK, name="#x", url=SLACK, programme=programme
    )
    failed = ChatPost.objects.create(channel=channel, kind="test", key="a", status="failed")
    sent = ChatPost.objects.create(channel=channel, kind="test", key="b", status="sent")
    assert chat_posts_retry(post_ids=[failed.pk, sent.pk]) == 1
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, sent.status) == ("queued", "sent")
