"""The outbox admin page: who may see it, filters, retrying, the detail page, query counts."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.outbox.models import OutboxMessage
from kshare.outbox.tests.factories import OutboxMessageFactory
from kshare.outbox.tests.helpers import unreachable_smtp

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


@pytest.fixture
def admin_client(client, admin_person):
    client.force_login(admin_person)
    return client


def _subjects(response) -> list[str]:
    return [m.subject for m in response.context["outbox_messages"]]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    message = OutboxMessageFactory()
    for url in ("/outbox/", f"/outbox/{message.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    response = client.post(f"/outbox/{message.pk}/retry/")
    assert (response.status_code, mail.outbox) == (302, [])


@pytest.mark.parametrize("who", ["person", "organiser"])
def test_members_and_organisers_get_403(client, request, who):
    client.force_login(request.getfixturevalue(who))
    message = OutboxMessageFactory(status=Status.FAILED)

    assert client.get("/outbox/").status_code == 403
    assert client.get(f"/outbox/{message.pk}/").status_code == 403
    assert client.post(f"/outbox/{message.pk}/retry/").status_code == 403
    assert client.post("/outbox/retry-failed/").status_code == 403
    message.refresh_from_db()
    assert (message.status, mail.outbox) == (Status.FAILED, [])


def test_the_account_menu_links_the_outbox_for_admins_only(client, admin_person, person):
    client.force_login(person)
    assert 'href="/outbox/"' not in client.get("/").text
    client.force_login(admin_person)
    assert 'href="/outbox/"' in client.get("/").text


def test_the_list_shows_newest_first_with_each_filter_and_counts(admin_client):
    now = timezone.now()
    OutboxMessageFactory(subject="Old sent", status=Status.SENT, created_at=now - timedelta(3))
    OutboxMessageFactory(
        subject="Waiting",
        attempts=2,
        last_error="SMTPServerDisconnected: gone",
        created_at=now - timedelta(2),
    )
    OutboxMessageFactory(
        subject="Sending", status=Status.SENDING, claimed_at=now, created_at=now - timedelta(1)
    )
    OutboxMessageFactory(subject="Gave up", status=Status.FAILED, attempts=10, created_at=now)

    response = admin_client.get("/outbox/")
    assert response.status_code == 200
    assert _subjects(response) == ["Gave up", "Sending", "Waiting", "Old sent"]
    assert response.context["filters"] == [
        ("all", "All", 4),
        ("queued", "Queued", 2),
        ("sent", "Sent", 1),
        ("failed", "Failed", 1),
    ]
    assert "SMTPServerDisconnected: gone" in response.text
    assert "Retry all failed (1)" in response.text
    assert _subjects(admin_client.get("/outbox/?status=queued")) == ["Sending", "Waiting"]
    assert _subjects(admin_client.get("/outbox/?status=sent")) == ["Old sent"]
    failed = admin_client.get("/outbox/?status=failed")
    assert _subjects(failed) == ["Gave up"]
    assert 'aria-current="page">Failed (1)' in failed.text


def test_a_row_offers_retry_now_only_for_queued_and_failed_mail(admin_client):
    retryable = [
        OutboxMessageFactory(status=Status.QUEUED),
        OutboxMessageFactory(status=Status.FAILED),
    ]
    OutboxMessageFactory(status=Status.SENT)
    OutboxMessageFactory(status=Status.SENDING, claimed_at=timezone.now())

    text = admin_client.get("/outbox/").text

    assert text.count("Retry now<") == 2
    assert sorted(m.pk for m in retryable) == sorted(
        m.pk for m in OutboxMessage.objects.all() if f"/outbox/{m.pk}/retry/" in text
    )


def test_an_unknown_filter_is_a_404_and_a_bad_page_shows_the_last(admin_client):
    OutboxMessageFactory()
    assert admin_client.get("/outbox/?status=spam").status_code == 404
    response = admin_client.get("/outbox/?page=999")
    assert (response.status_code, response.context["page_obj"].number) == (200, 1)
    assert admin_client.get("/outbox/?page=abc").status_code == 200


def test_pages_keep_the_filter(admin_client):
    OutboxMessageFactory.create_batch(30, status=Status.FAILED)
    OutboxMessageFactory(status=Status.SENT)

    response = admin_client.get("/outbox/?status=failed")

    assert len(response.context["outbox_messages"]) == 25
    assert 'href="?status=failed&amp;page=2"' in response.text
    assert len(admin_client.get("/outbox/?status=failed&page=2").context["outbox_messages"]) == 5


def test_list_and_detail_query_counts_are_constant(admin_client, django_assert_num_queries):
    def fill(n):
        for i in range(n):
            OutboxMessageFactory(status=[Status.QUEUED, Status.SENT, Status.FAILED][i % 3])

    fill(2)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get("/outbox/").status_code == 200
    fill(8)
    with django_assert_num_queries(len(small.captured_queries)):
        assert admin_client.get("/outbox/").status_code == 200
    with django_assert_num_queries(len(small.captured_queries)):
        assert admin_client.get("/outbox/?status=failed").status_code == 200

    message = OutboxMessageFactory(attachments=[])
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(f"/outbox/{message.pk}/").status_code == 200
    many = OutboxMessageFactory(
        attachments=[
            {"filename": f"{i}.txt", "content_b64": "aGk=", "mimetype": "text/plain"}
            for i in range(10)
        ]
    )
    with django_assert_num_queries(len(one.captured_queries)):
        assert admin_client.get(f"/outbox/{many.pk}/").status_code == 200


def test_retry_now_sends_a_failed_mail_and_returns_to_the_list(admin_client):
    message = OutboxMessageFactory(status=Status.FAILED, attempts=10, subject="Pandas")

    response = admin_client.post(
        f"/outbox/{message.pk}/retry/", {"next": "/outbox/?status=failed"}, follow=True
    )

    assert response.redirect_chain == [("/outbox/?status=failed", 302)]
    assert "“Pandas” is sent." in response.text
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 11)
    assert [m.subject for m in mail.outbox] == ["Pandas"]


def test_retry_now_that_fails_again_says_so(admin_client):
    message = OutboxMessageFactory(subject="Pandas", attempts=1)

    with override_settings(MAILERS=unreachable_smtp()):
        response = admin_client.post(f"/outbox/{message.pk}/retry/", follow=True)

    assert response.redirect_chain == [(f"/outbox/{message.pk}/", 302)]
    assert "“Pandas” could not be sent; it is queued (see the last error)." in response.text
    assert "ConnectionRefusedError" in response.text
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.QUEUED, 2)


def test_retry_now_of_sent_mail_changes_nothing_and_ignores_a_foreign_next(admin_client):
    message = OutboxMessageFactory(status=Status.SENT, attempts=1, subject="Done")

    response = admin_client.post(
        f"/outbox/{message.pk}/retry/", {"next": "https://evil.example.com/"}, follow=True
    )

    assert response.redirect_chain == [(f"/outbox/{message.pk}/", 302)]
    assert "“Done” is already sent or being sent." in response.text
    assert mail.outbox == []


def test_retry_endpoints_take_only_post_and_unknown_mail_is_404(admin_client):
    message = OutboxMessageFactory(status=Status.FAILED)
    assert admin_client.get(f"/outbox/{message.pk}/retry/").status_code == 405
    assert admin_client.get("/outbox/retry-failed/").status_code == 405
    assert admin_client.post("/outbox/999999/retry/").status_code == 404
    assert admin_client.get("/outbox/999999/").status_code == 404
    message.refresh_from_db()
    assert message.status == Status.FAILED


def test_retry_all_failed(admin_client):
    OutboxMessageFactory.create_batch(2, status=Status.FAILED, attempts=10)
    OutboxMessageFactory(status=Status.SENT)

    response = admin_client.post("/outbox/retry-failed/", follow=True)

    assert response.redirect_chain == [("/outbox/", 302)]
    assert "2 failed mails are queued to be sent again." in response.text
    assert len(mail.outbox) == 2
    response = admin_client.post("/outbox/retry-failed/", follow=True)
    assert "No failed mails to send again." in response.text


def test_the_detail_shows_text_and_html_source_escaped(admin_client):
    message = OutboxMessageFactory(
        subject="Pandas",
        body="Hello <Ann>,\nsee you.",
        html='<p onclick="alert(1)">Hello</p><script>alert(2)</script>',
        attachments=[
            {"filename": "invite.ics", "content_b64": "QkVHSU4=", "mimetype": "text/calendar"}
        ],
        alternatives=[{"mimetype": 'text/calendar; method="REQUEST"', "content": "BEGIN:"}],
    )

    response = admin_client.get(f"/outbox/{message.pk}/")

    assert response.status_code == 200
    assert "Hello &lt;Ann&gt;,\nsee you." in response.text
    assert "&lt;p onclick=&quot;alert(1)&quot;&gt;Hello&lt;/p&gt;" in response.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in response.text
    assert "<script>alert(2)" not in response.text
    assert "invite.ics — text/calendar, 5" in response.text
    assert "<li>text/calendar; method=&quot;REQUEST&quot;, 6\xa0bytes</li>" in response.text
    assert "Retry now" in response.text


def test_the_detail_hides_the_text_of_one_time_link_mail(admin_client):
    message = OutboxMessageFactory(kind="password_reset", body="http://x/reset/abc/s3cr3t-t0ken/")

    response = admin_client.get(f"/outbox/{message.pk}/")

    assert "s3cr3t-t0ken" not in response.text
    assert "it holds a one-time link" in response.text


def test_django_admin_lists_the_outbox_and_retries_with_its_action(admin_client):
    failed = OutboxMessageFactory(status=Status.FAILED, attempts=10, subject="Old news")
    sent = OutboxMessageFactory(status=Status.SENT, attempts=1)

    listing = admin_client.get("/admin/outbox/outboxmessage/")
    assert listing.status_code == 200
    assert "Old news" in listing.text
    assert admin_client.get(f"/admin/outbox/outboxmessage/{failed.pk}/change/").status_code == 200
    assert admin_client.get("/admin/outbox/outboxmessage/add/").status_code == 403

    search = admin_client.get("/admin/outbox/outboxmessage/", {"q": failed.to[0]})
    assert "Old news" in search.text
    assert "Old news" not in admin_client.get("/admin/outbox/outboxmessage/?q=nobody").text

    response = admin_client.post(
        "/admin/outbox/outboxmessage/",
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )

    assert "1 mail(s) queued to be sent now." in response.text
    failed.refresh_from_db()
    assert failed.status == Status.SENT
    assert [m.subject for m in mail.outbox] == ["Old news"]
    assert admin_client.get(f"/admin/outbox/outboxmessage/{sent.pk}/delete/").status_code == 403
