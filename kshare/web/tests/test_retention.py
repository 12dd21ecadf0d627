"""Retention: old mails, webhook deliveries, task results, expired sessions and sign-in attempts
are purged by the periodic task; what is in use and what is recent stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session as HttpSession
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kshare.core.ticks import periodic_tasks
from kshare.outbox.models import OutboxMessage
from kshare.outbox.tests.factories import OutboxMessageFactory
from kshare.people.models import AuthAttempt
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.web.retention import retention_purge, retention_status
from kshare.webhooks.models import Webhook, WebhookDelivery

NOW = timezone.now()
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=10)


def _mail(status: str, at) -> OutboxMessage:
    return OutboxMessageFactory(status=status, created_at=at, subject=f"{status} {at:%Y-%m-%d}")


def _delivery(webhook: Webhook, status: str, at) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="session.held", status=status)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=at)
    return delivery


def _task(status: str, finished) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        task_path="kshare.web.tasks.retention_purge_task",
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        finished_at=finished,
        priority=0,
    )


@pytest.fixture
def records(db):
    for status in ("sent", "failed", "queued", "sending"):
        _mail(status, OLD)
        _mail(status, RECENT)
    webhook = Webhook.objects.create(
        url="https://hooks.example.com/x", secret="whsec_x", events=[], created_by=PersonFactory()
    )
    for status in ("sent", "failed", "queued"):
        _delivery(webhook, status, OLD)
        _delivery(webhook, status, RECENT)
    _task("SUCCESSFUL", NOW - timedelta(days=40))
    _task("FAILED", NOW - timedelta(days=40))
    _task("SUCCESSFUL", NOW - timedelta(days=5))
    _task("READY", None)
    HttpSession.objects.create(
        session_key="expired", session_data="x", expire_date=NOW - timedelta(minutes=1)
    )
    HttpSession.objects.create(
        session_key="current", session_data="x", expire_date=NOW + timedelta(days=1)
    )
    AuthAttempt.objects.create(
        action="sign_in", scope="client", key="k", created_at=NOW - timedelta(days=2)
    )
    AuthAttempt.objects.create(action="sign_in", scope="client", key="k", created_at=NOW)


def test_purge_deletes_exactly_what_is_past_its_period(records):
    assert retention_purge(now=NOW) == {
        "outbox": 2,
        "webhook_deliveries": 2,
        "task_results": 2,
        "http_sessions": 1,
        "auth_attempts": 1,
    }
    assert sorted(OutboxMessage.objects.values_list("subject", flat=True)) == sorted(
        [
            f"failed {RECENT:%Y-%m-%d}",
            f"queued {OLD:%Y-%m-%d}",
            f"queued {RECENT:%Y-%m-%d}",
            f"sending {OLD:%Y-%m-%d}",
            f"sending {RECENT:%Y-%m-%d}",
            f"sent {RECENT:%Y-%m-%d}",
        ]
    )
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [
        "failed",
        "queued",
        "queued",
        "sent",
    ]
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == [
        "READY",
        "SUCCESSFUL",
    ]
    assert list(HttpSession.objects.values_list("session_key", flat=True)) == ["current"]
    assert AuthAttempt.objects.count() == 1
    # A second run finds nothing more.
    assert set(retention_purge(now=NOW).values()) == {0}


def test_zero_days_keeps_for_ever(records, settings):
    settings.KSHARE_RETENTION_OUTBOX_DAYS = 0
    settings.KSHARE_RETENTION_LOG_DAYS = 0
    deleted = retention_purge(now=NOW)
    assert (deleted["outbox"], deleted["webhook_deliveries"], deleted["task_results"]) == (0, 0, 0)
    assert OutboxMessage.objects.count() == 8


def test_shorter_periods_purge_more(records, settings):
    settings.KSHARE_RETENTION_OUTBOX_DAYS = 7
    assert retention_purge(now=NOW)["outbox"] == 4


def test_a_large_backlog_goes_in_batches(db, settings, monkeypatch):
    import kshare.web.retention as retention

    monkeypatch.setattr(retention, "BATCH", 3)
    monkeypatch.setattr(retention, "BATCHES_PER_RUN", 2)
    for _ in range(8):
        _mail("sent", OLD)
    assert retention_purge(now=NOW)["outbox"] == 6
    assert retention_purge(now=NOW)["outbox"] == 2
    assert OutboxMessage.objects.count() == 0


def test_the_purge_is_a_periodic_task():
    assert "kshare.web.tasks.retention_purge_task" in periodic_tasks()


def test_admins_see_the_periods_and_what_is_due(client, records):
    client.force_login(AdminFactory())
    page = client.get(reverse("retention"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "KSHARE_RETENTION_OUTBOX_DAYS" in text
    assert "KSHARE_RETENTION_LOG_DAYS" in text
    rows = {s.rule.key: (s.kept_label, s.due) for s in retention_status(now=NOW)}
    assert rows == {
        "outbox": ("90 days", 2),
        "webhook_deliveries": ("30 days", 2),
        "task_results": ("30 days", 2),
        "http_sessions": ("until they expire", 1),
        "auth_attempts": ("1 hour", 1),
    }


@pytest.mark.parametrize("factory", [PersonFactory, OrganiserFactory])
def test_only_admins_see_data_retention(client, db, factory):
    client.force_login(factory())
    assert client.get(reverse("retention")).status_code == 403


def test_the_outbox_page_says_how_long_mails_are_kept(client, db, settings):
    client.force_login(AdminFactory())
    settings.KSHARE_RETENTION_OUTBOX_DAYS = 14
    assert (
        "Sent and failed mails are deleted after 14 days" in client.get("/outbox/").content.decode()
    )
    settings.KSHARE_RETENTION_OUTBOX_DAYS = 0
    assert "Sent and failed mails are kept for ever" in client.get("/outbox/").content.decode()
