"""Every mail kshare sends goes through the outbox as text + HTML, one template pair per kind."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.template import engines
from django.test import override_settings
from django.urls import reverse

from kshare.outbox.models import OutboxMessage
from kshare.outbox.preferences import unsubscribe_link
from kshare.outbox.tests.helpers import unreachable_smtp
from kshare.people.models import AccountInvite
from kshare.people.services import account_invite_create
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.topics.services import topic_requests_notify_scheduled
from kshare.topics.tests.factories import TopicRequestFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<]+")


def _text_and_html(message) -> tuple[str, str]:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def _same_links(text: str, html: str) -> list[str]:
    links = LINK.findall(text)
    assert links
    assert re.findall(r'href="([^"]+)"', html) == links
    return links


def test_the_base_layouts_escape_html_only():
    context = {"name": "O'Brien & <Co>", "site_name": "Acme & Co"}
    text = engines["django"].from_string(
        '{% extends "outbox/email/base.txt" %}{% block content %}Hi {{ name }}{% endblock %}'
    )
    html = engines["django"].from_string(
        '{% extends "outbox/email/base.html" %}{% block content %}<p>Hi {{ name }}</p>'
        "{% endblock %}"
    )

    assert text.render(context) == "Hi O'Brien & <Co>\n\n— Acme & Co\n"
    rendered = html.render({**context, "subject": "Hello"})
    assert "<p>Hi O&#x27;Brien &amp; &lt;Co&gt;</p>" in rendered
    assert "<title>Hello</title>" in rendered
    assert "<footer>\n<p>— Acme &amp; Co</p>\n</footer>" in rendered
    assert rendered.startswith("<!DOCTYPE html>")


def test_the_account_invitation(admin_person):
    account_invite_create(by=admin_person, email="new@example.com")

    [message] = mail.outbox
    text, html = _text_and_html(message)
    [link] = _same_links(text, html)
    assert "/signup/" in link
    assert text.endswith("If you did not expect this e-mail, you can ignore it.\n\n— kshare\n")
    stored = OutboxMessage.objects.get()
    assert (stored.kind, stored.status) == ("account_invite", "sent")


def test_the_password_reset(client):
    PersonFactory(email="ann@example.com", display_name="Ann <3")

    client.post(reverse("password_reset"), {"email": "ann@example.com"})

    [message] = mail.outbox
    text, html = _text_and_html(message)
    [link] = _same_links(text, html)
    assert "/password/reset/" in link
    assert "Hello Ann <3," in text
    assert "Hello Ann &lt;3," in html
    assert OutboxMessage.objects.get().kind == "password_reset"


def test_the_topic_scheduled_notice():
    session = ScheduledSessionFactory(title="dbt & friends")
    request = TopicRequestFactory(title="dbt please", session=session)

    assert topic_requests_notify_scheduled(session=session) == 1

    [message] = mail.outbox
    text, html = _text_and_html(message)
    links = _same_links(text, html)
    assert [link.rsplit("/", 2)[-2] for link in links[:2]] == [str(session.pk), str(request.pk)]
    # A notification: its footer turns its category off with one click, or opens the settings.
    assert links[2:] == [
        unsubscribe_link(person_id=request.requester_id, category="topics"),
        f"{settings.SITE_URL}/people/me/notifications/",
    ]
    assert "dbt & friends" in text
    assert "dbt &amp; friends" in html
    assert OutboxMessage.objects.get().kind == "topic_scheduled"


def test_an_invitation_while_the_mail_server_is_down_is_kept_and_its_mail_waits(
    client, admin_person
):
    client.force_login(admin_person)

    with override_settings(MAILERS=unreachable_smtp()):
        response = client.post(
            reverse("people:invite"), {"emails": "new@example.com", "role": "member"}, follow=True
        )

    assert "Invitation sent to new@example.com." in response.text
    assert AccountInvite.objects.filter(email="new@example.com").exists()
    stored = OutboxMessage.objects.get()
    assert (stored.kind, stored.status, stored.attempts) == ("account_invite", "queued", 1)
    assert mail.outbox == []
