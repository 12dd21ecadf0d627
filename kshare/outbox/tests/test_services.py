"""The outbox services: storing, sending, back-off, failing, recovering, retrying, racing."""

import email
import email.policy
from datetime import timedelta
from email.message import MIMEPart

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.test import override_settings
from django.utils import timezone

from kshare.outbox import services
from kshare.outbox.models import OutboxMessage
from kshare.outbox.services import (
    backoff,
    mail_queue,
    outbox_deliver,
    outbox_recover_stale,
    outbox_retry,
    outbox_retry_failed,
    outbox_tick,
)
from kshare.outbox.tests.factories import OutboxMessageFactory
from kshare.outbox.tests.helpers import refusing_smtp, unreachable_smtp
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kshare//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:session-1@kshare\r\nSUMMARY:Pandas tricks\r\n"
    "DTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
PDF = b"%PDF-1.4\n\x00\xff\xfe binary \x80 bytes\n%%EOF"


def a_message(**kwargs) -> EmailMultiAlternatives:
    kwargs.setdefault("subject", "Pandas tricks: you are invited")
    kwargs.setdefault("body", "Hello Ann,\n\nCome along.\n")
    kwargs.setdefault("to", ["ann@example.com"])
    message = EmailMultiAlternatives(**kwargs)
    message.attach_alternative("<p>Hello Ann,</p><p>Come along.</p>", "text/html")
    return message


def received(smtp_server, index: int = 0) -> email.message.EmailMessage:
    return email.message_from_bytes(
        smtp_server.messages[index].as_bytes(), policy=email.policy.default
    )


# --- storing ------------------------------------------------------------------------------


def test_mail_queue_stores_the_message_and_sends_it_at_once():
    before = timezone.now()
    message = a_message(cc=["bob@example.com"], reply_to=["host@example.com"])
    message.extra_headers["X-Kshare-Session"] = "7"

    stored = mail_queue(message, kind="session_invite")

    stored.refresh_from_db()
    assert (stored.kind, stored.to, stored.cc, stored.reply_to) == (
        "session_invite",
        ["ann@example.com"],
        ["bob@example.com"],
        ["host@example.com"],
    )
    assert (stored.status, stored.attempts, stored.last_error) == (Status.SENT, 1, "")
    assert stored.from_email == "kshare <kshare@localhost>"
    assert sorted(stored.headers) == ["Message-ID", "X-Kshare-Session"]  # jsonb sorts keys
    assert stored.headers["X-Kshare-Session"] == "7"
    assert stored.headers["Message-ID"].startswith("<")
    assert before <= stored.sent_at <= timezone.now()
    [sent] = mail.outbox
    assert (sent.subject, sent.to, sent.cc, sent.body) == (
        "Pandas tricks: you are invited",
        ["ann@example.com"],
        ["bob@example.com"],
        "Hello Ann,\n\nCome along.\n",
    )
    assert sent.alternatives == [("<p>Hello Ann,</p><p>Come along.</p>", "text/html")]
    assert sent.extra_headers["X-Kshare-Session"] == "7"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda m: setattr(m, "bcc", ["x@example.com"]), "Bcc"),
        (lambda m: setattr(m, "content_subtype", "html"), "text body"),
        (lambda m: m.attach_alternative("# md", "text/markdown"), "one text/html"),
        (lambda m: m.attach_alternative("<p>again</p>", "text/html"), "one text/html"),
        (lambda m: setattr(m, "to", []), "recipient"),
    ],
)
def test_mail_queue_refuses_what_it_could_not_store_faithfully(change, error):
    message = a_message()
    change(message)

    with pytest.raises(ValueError, match=error):
        mail_queue(message, kind="test")

    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []


def test_mail_queue_refuses_a_subject_with_a_line_break_before_storing_it():
    with pytest.raises(ValueError, match=r"[Hh]eader"):
        mail_queue(a_message(subject="Hello\nBcc: everyone@example.com"), kind="test")
    assert OutboxMessage.objects.count() == 0


def test_a_plain_email_message_is_stored_as_text_only():
    mail_queue(EmailMessage(subject="Hi", body="Text", to=["a@example.com"]), kind="plain")

    stored = OutboxMessage.objects.get()
    assert (stored.body, stored.html, stored.status) == ("Text", "", Status.SENT)
    assert mail.outbox[0].alternatives == []


def test_backoff_grows_then_stays_at_12_hours():
    assert [backoff(n) for n in range(1, 9)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=4),
        timedelta(hours=12),
        timedelta(hours=12),
        timedelta(hours=12),
    ]


# --- through a real SMTP server -----------------------------------------------------------


def test_the_received_mail_is_text_and_html_with_its_attachments_intact(smtp_server):
    message = a_message()
    message.attach("invite.ics", ICS, "text/calendar; method=REQUEST")
    message.attach("slides.pdf", PDF, "application/pdf")
    part = MIMEPart()
    part.set_content(
        ICS.replace("REQUEST", "CANCEL"),
        subtype="calendar",
        params={"method": "CANCEL"},
        disposition="attachment",
        filename="cancel.ics",
    )
    message.attach(part)

    with override_settings(MAILERS=smtp_server.mailers):
        stored = mail_queue(message, kind="session_invite")

    stored.refresh_from_db()
    assert stored.status == Status.SENT
    assert [a["mimetype"] for a in stored.attachments] == [
        "text/calendar; method=REQUEST",
        "application/pdf",
        'text/calendar; method="CANCEL"',
    ]
    got = received(smtp_server)
    assert got["To"] == "ann@example.com"
    assert got["Subject"] == "Pandas tricks: you are invited"
    assert got.get_content_type() == "multipart/mixed"
    body = got.get_payload()[0]
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    assert got.get_body(preferencelist=("plain",)).get_content() == "Hello Ann,\n\nCome along.\n"
    assert got.get_body(preferencelist=("html",)).get_content().strip() == (
        "<p>Hello Ann,</p><p>Come along.</p>"
    )
    ics, pdf, cancel = got.iter_attachments()
    assert (ics.get_filename(), ics.get_content_type(), ics.get_param("method")) == (
        "invite.ics",
        "text/calendar",
        "REQUEST",
    )
    assert ics.get_content().replace("\r\n", "\n") == ICS.replace("\r\n", "\n")
    assert (pdf.get_filename(), pdf.get_content_type()) == ("slides.pdf", "application/pdf")
    assert pdf.get_content() == PDF
    assert (cancel.get_filename(), cancel.get_param("method")) == ("cancel.ics", "CANCEL")
    assert "METHOD:CANCEL" in cancel.get_content()


def test_a_server_that_is_down_leaves_the_mail_queued_and_the_tick_sends_it_later(smtp_server):
    before = timezone.now()
    with override_settings(MAILERS=unreachable_smtp()):
        stored = mail_queue(a_message(), kind="test")
    after = timezone.now()

    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.sent_at) == (Status.QUEUED, 1, None)
    assert stored.last_error.startswith("ConnectionRefusedError: ")
    assert before + timedelta(minutes=1) <= stored.next_attempt_at <= after + timedelta(minutes=1)

    with override_settings(MAILERS=smtp_server.mailers):
        early = outbox_tick(now=stored.next_attempt_at - timedelta(seconds=1))
        assert early == services.TickResult(recovered=0, sent=0, retrying=0, failed=0)
        assert smtp_server.messages == []
        tick = outbox_tick(now=stored.next_attempt_at)

    assert tick == services.TickResult(recovered=0, sent=1, retrying=0, failed=0)
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.SENT, 2)
    assert stored.last_error.startswith("ConnectionRefusedError: ")  # kept: why it took two
    assert len(smtp_server.messages) == 1
    assert received(smtp_server)["Subject"] == "Pandas tricks: you are invited"
    # Every attempt carries the Message-ID given when the mail was stored.
    assert received(smtp_server)["Message-ID"] == stored.headers["Message-ID"]
    with override_settings(MAILERS=smtp_server.mailers):
        assert outbox_tick(now=stored.next_attempt_at + timedelta(days=1)).sent == 0
    assert len(smtp_server.messages) == 1


def test_each_failure_pushes_the_next_attempt_back_further():
    stored = OutboxMessageFactory()
    waits = []
    with override_settings(MAILERS=unreachable_smtp()):
        for _ in range(7):
            now = timezone.now()
            assert outbox_deliver(message_id=stored.pk, now=stored.next_attempt_at) is False
            stored.refresh_from_db()
            waits.append(round((stored.next_attempt_at - now).total_seconds() / 60))
    assert waits == [1, 5, 15, 60, 240, 720, 720]
    assert (stored.status, stored.attempts) == (Status.QUEUED, 7)


@override_settings(KSHARE_MAIL_MAX_ATTEMPTS=3)
def test_after_the_last_attempt_the_mail_is_failed_and_kept_until_retried_by_hand(smtp_server):
    with override_settings(MAILERS=unreachable_smtp()):
        stored = mail_queue(a_message(), kind="test")
        stored.refresh_from_db()
        assert outbox_tick(now=stored.next_attempt_at).retrying == 1
        stored.refresh_from_db()
        tick = outbox_tick(now=stored.next_attempt_at)

    assert tick == services.TickResult(recovered=0, sent=0, retrying=0, failed=1)
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.FAILED, 3)
    assert stored.last_error.startswith("ConnectionRefusedError")
    with override_settings(MAILERS=smtp_server.mailers):
        assert outbox_tick(now=timezone.now() + timedelta(days=30)).sent == 0
        assert smtp_server.messages == []

        assert outbox_retry(message_ids=[stored.pk]) == 1

    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.SENT, 4)
    assert len(smtp_server.messages) == 1


@override_settings(KSHARE_MAIL_MAX_ATTEMPTS=3)
def test_a_failed_mail_retried_by_hand_that_fails_again_is_failed_again():
    stored = OutboxMessageFactory(status=Status.FAILED, attempts=3, last_error="old")
    with override_settings(MAILERS=unreachable_smtp()):
        assert outbox_retry(message_ids=[stored.pk]) == 1
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.FAILED, 4)
    assert stored.last_error.startswith("ConnectionRefusedError")


def test_every_recipient_refused_for_good_fails_the_mail_at_once():
    with refusing_smtp("550 5.1.1 No such user") as mailers, override_settings(MAILERS=mailers):
        stored = mail_queue(a_message(), kind="test")
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.FAILED, 1)
    assert stored.last_error.startswith("SMTPRecipientsRefused: ")
    assert "No such user" in stored.last_error


def test_a_temporary_refusal_is_retried():
    with refusing_smtp("450 4.2.1 Mailbox busy") as mailers, override_settings(MAILERS=mailers):
        stored = mail_queue(a_message(), kind="test")
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.QUEUED, 1)
    assert "Mailbox busy" in stored.last_error


# --- the tick -----------------------------------------------------------------------------


def test_the_tick_sends_due_mail_oldest_first_up_to_the_batch():
    now = timezone.now()
    oldest = OutboxMessageFactory(next_attempt_at=now - timedelta(hours=2))
    older = OutboxMessageFactory(next_attempt_at=now - timedelta(hours=1))
    newest = OutboxMessageFactory(next_attempt_at=now)
    later = OutboxMessageFactory(next_attempt_at=now + timedelta(minutes=1))
    done = OutboxMessageFactory(status=Status.SENT, next_attempt_at=now - timedelta(days=1))
    failed = OutboxMessageFactory(status=Status.FAILED, next_attempt_at=now - timedelta(days=1))

    assert outbox_tick(now=now, batch=2).sent == 2
    assert [m.to for m in mail.outbox] == [oldest.to, older.to]
    assert outbox_tick(now=now, batch=2).sent == 1
    assert [m.to for m in mail.outbox][2:] == [newest.to]
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert [statuses[m.pk] for m in (later, done, failed)] == [
        Status.QUEUED,
        Status.SENT,
        Status.FAILED,
    ]


def test_when_the_server_cannot_be_reached_the_rest_of_the_batch_waits():
    now = timezone.now()
    first = OutboxMessageFactory(next_attempt_at=now - timedelta(minutes=2))
    second = OutboxMessageFactory(next_attempt_at=now - timedelta(minutes=1))

    with override_settings(MAILERS=unreachable_smtp()):
        tick = outbox_tick(now=now)

    assert tick == services.TickResult(recovered=0, sent=0, retrying=1, failed=0)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 0)
    assert (second.status, second.next_attempt_at) == (Status.QUEUED, now - timedelta(minutes=1))


def test_mail_stuck_in_sending_for_over_10_minutes_is_recovered_and_sent():
    now = timezone.now()
    stuck = OutboxMessageFactory(
        status=Status.SENDING, claimed_at=now - timedelta(minutes=11), attempts=2
    )
    busy = OutboxMessageFactory(status=Status.SENDING, claimed_at=now - timedelta(minutes=9))

    tick = outbox_tick(now=now)

    assert tick == services.TickResult(recovered=1, sent=1, retrying=0, failed=0)
    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert (stuck.status, stuck.attempts) == (Status.SENT, 4)  # the interrupted try counts
    assert "worker stopped while sending" in stuck.last_error
    assert (busy.status, busy.attempts) == (Status.SENDING, 0)
    assert [m.to for m in mail.outbox] == [stuck.to]


@override_settings(KSHARE_MAIL_MAX_ATTEMPTS=3)
def test_mail_stuck_in_sending_on_its_last_attempt_is_failed():
    now = timezone.now()
    stuck = OutboxMessageFactory(
        status=Status.SENDING, claimed_at=now - timedelta(minutes=11), attempts=2
    )
    assert outbox_recover_stale(now=now) == 1
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts, stuck.claimed_at) == (Status.FAILED, 3, None)
    assert mail.outbox == []


def test_a_late_result_of_a_claim_taken_back_does_not_overwrite_the_new_one(monkeypatch):
    """The worker that took too long reports after the tick gave the mail to someone else."""
    stored = OutboxMessageFactory()
    real_build = services.message_build

    def slow_build(message):
        # While "sending", the tick decides the worker died and another one sends it.
        later = timezone.now() + timedelta(minutes=11)
        monkeypatch.setattr(services, "message_build", real_build)
        assert outbox_tick(now=later).sent == 1
        return real_build(message)

    monkeypatch.setattr(services, "message_build", slow_build)
    outbox_deliver(message_id=stored.pk)

    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.SENT, 2)
    assert len(mail.outbox) == 2  # the price of a worker that was not dead after all


def test_mail_that_is_not_queued_or_not_due_is_not_sent():
    sent = OutboxMessageFactory(status=Status.SENT)
    failed = OutboxMessageFactory(status=Status.FAILED)
    later = OutboxMessageFactory(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert [outbox_deliver(message_id=m.pk) for m in (sent, failed, later)] == [False] * 3
    assert outbox_deliver(message_id=999_999) is False
    assert mail.outbox == []


# --- by hand ------------------------------------------------------------------------------


def test_retry_queues_queued_and_failed_mail_for_now_and_leaves_sent_mail_alone():
    later = OutboxMessageFactory(next_attempt_at=timezone.now() + timedelta(hours=4), attempts=4)
    failed = OutboxMessageFactory(status=Status.FAILED, attempts=10)
    sent = OutboxMessageFactory(status=Status.SENT, attempts=1)
    sending = OutboxMessageFactory(status=Status.SENDING, claimed_at=timezone.now())

    assert outbox_retry(message_ids=[later.pk, failed.pk, sent.pk, sending.pk]) == 2

    assert sorted(m.to[0] for m in mail.outbox) == sorted([later.to[0], failed.to[0]])
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert [statuses[m.pk] for m in (later, failed, sent, sending)] == [
        Status.SENT,
        Status.SENT,
        Status.SENT,
        Status.SENDING,
    ]


def test_retry_all_failed_sends_every_failed_mail():
    failed = OutboxMessageFactory.create_batch(3, status=Status.FAILED, attempts=10)
    OutboxMessageFactory(status=Status.SENT)

    assert outbox_retry_failed() == 3

    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.to[0] for m in failed)
    assert OutboxMessage.objects.filter(status=Status.SENT).count() == 4
    assert outbox_retry_failed() == 0


def test_a_secret_link_mail_loses_its_text_once_sent():
    message = a_message(body="Your link: http://example.com/signup/secret-token/")
    stored = mail_queue(message, kind="account_invite")

    stored.refresh_from_db()
    assert "secret-token" in mail.outbox[0].body
    assert (stored.status, stored.body, stored.html) == (
        Status.SENT,
        services.LINK_REMOVED_TEXT,
        "",
    )


def test_a_secret_link_mail_keeps_its_text_while_it_waits():
    with override_settings(MAILERS=unreachable_smtp()):
        stored = mail_queue(a_message(body="link: /signup/secret-token/"), kind="password_reset")
    stored.refresh_from_db()
    assert (stored.status, stored.body) == (Status.QUEUED, "link: /signup/secret-token/")


def test_a_backend_that_can_defer_also_gets_a_task_for_the_retry_time():
    dummy = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    stored = OutboxMessageFactory()
    with override_settings(TASKS=dummy, MAILERS=unreachable_smtp()):
        from kshare.outbox.tasks import outbox_send_task

        outbox_deliver(message_id=stored.pk)
        results = outbox_send_task.get_backend().results

    stored.refresh_from_db()
    assert [(r.task.name, r.args, r.task.run_after) for r in results] == [
        ("outbox_send_task", [stored.pk], stored.next_attempt_at)
    ]


# --- races --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ticks_racing_send_each_mail_once():
    messages = OutboxMessageFactory.create_batch(5)

    errors = race(lambda i: outbox_tick(), threads=4)

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.to[0] for m in messages)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


@pytest.mark.django_db(transaction=True)
def test_tasks_and_retries_racing_send_one_mail_once(smtp_server):
    stored = OutboxMessageFactory()

    def action(i: int) -> None:
        if i % 2:
            outbox_deliver(message_id=stored.pk)
        else:
            outbox_retry(message_ids=[stored.pk])

    # Overridden once, here: override_settings entered in several threads at once can restore
    # the settings out of order and leak into later tests.
    with override_settings(MAILERS=smtp_server.mailers):
        errors = race(action, threads=4)

    assert errors == []
    assert len(smtp_server.messages) == 1
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.SENT, 1)


# --- the clock and the command ------------------------------------------------------------


def test_the_clock_runs_the_outbox_tick():
    from kshare.core.clock import clock_tick
    from kshare.core.ticks import periodic_tasks

    assert "kshare.outbox.tasks.outbox_tick_task" in periodic_tasks()
    due = OutboxMessageFactory()

    assert clock_tick(["kshare.outbox.tasks.outbox_tick_task"]) == 1

    assert [m.to for m in mail.outbox] == [due.to]


def test_the_outbox_tick_command_reports_what_it_did():
    from io import StringIO

    from django.core.management import call_command

    OutboxMessageFactory.create_batch(2)
    out = StringIO()

    call_command("outbox_tick", stdout=out)

    assert out.getvalue() == (
        "Outbox: 2 sent, 0 to retry later, 0 failed, 0 taken back from stopped workers.\n"
    )
