"""The outbox with the real worker (django-tasks-db, a file SQLite database) and a real SMTP
server: what production does, not the immediate task backend of the other tests."""

import email
import email.policy
import sqlite3
import subprocess
import sys
from pathlib import Path

from kshare.outbox.tests.helpers import closed_port
from kshare.web.tests.test_cli import PROJECT_DIR, kshare_env

QUEUE = """
from django.core.mail import EmailMultiAlternatives
from kshare.outbox.services import mail_queue
message = EmailMultiAlternatives(
    subject="From the worker", body="Text part", to=["ann@example.com"]
)
message.attach_alternative("<p>HTML part</p>", "text/html")
ics = "BEGIN:VCALENDAR\\r\\nEND:VCALENDAR\\r\\n"
message.attach("invite.ics", ics, "text/calendar; method=REQUEST")
mail_queue(message, kind="worker_test")
"""


def _run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kshare.cli", *args],
        cwd=PROJECT_DIR,
        env=kshare_env(home, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def _query(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "var" / "kshare.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_the_worker_sends_a_queued_mail_to_the_smtp_server(tmp_path, smtp_server):
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}", "KSHARE_TICK_SECONDS": "0"}
    _run(tmp_path, "migrate", **env)
    _run(tmp_path, "manage", "shell", "-c", QUEUE, **env)

    # Stored with its task, nothing sent yet: the worker has not run.
    assert _query(tmp_path, "SELECT status, attempts FROM outbox_outboxmessage") == [("queued", 0)]
    assert _query(tmp_path, "SELECT task_path FROM django_tasks_database_dbtaskresult") == [
        ("kshare.outbox.tasks.outbox_send_task",)
    ]
    assert smtp_server.messages == []

    _run(tmp_path, "worker", "--batch", **env)

    assert _query(tmp_path, "SELECT status, attempts FROM outbox_outboxmessage") == [("sent", 1)]
    [raw] = smtp_server.messages
    got = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
    assert (got["To"], got["Subject"]) == ("ann@example.com", "From the worker")
    assert got.get_body(preferencelist=("plain",)).get_content().strip() == "Text part"
    assert got.get_body(preferencelist=("html",)).get_content().strip() == "<p>HTML part</p>"
    [ics] = got.iter_attachments()
    assert (ics.get_content_type(), ics.get_param("method")) == ("text/calendar", "REQUEST")


def test_a_mail_the_worker_could_not_send_is_sent_by_a_later_tick(tmp_path, smtp_server):
    down = {"EMAIL_URL": f"smtp://127.0.0.1:{closed_port()}", "KSHARE_TICK_SECONDS": "0"}
    up = {**down, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}"}
    _run(tmp_path, "migrate", **down)
    _run(tmp_path, "manage", "shell", "-c", QUEUE, **down)
    _run(tmp_path, "worker", "--batch", **down)

    [(status, attempts, error)] = _query(
        tmp_path, "SELECT status, attempts, last_error FROM outbox_outboxmessage"
    )
    assert (status, attempts) == ("queued", 1)
    assert error.startswith("ConnectionRefusedError")
    # The database backend can defer: a second task waits for the retry time.
    deferred = _query(
        tmp_path,
        "SELECT t.status FROM django_tasks_database_dbtaskresult t, outbox_outboxmessage m "
        "WHERE t.task_path = 'kshare.outbox.tasks.outbox_send_task' AND t.run_after = "
        "m.next_attempt_at",
    )
    assert deferred == [("READY",)]

    # The back-off has passed (without waiting a minute in a test) and the server is back.
    with sqlite3.connect(tmp_path / "var" / "kshare.sqlite3") as db:
        db.execute("UPDATE outbox_outboxmessage SET next_attempt_at = '2000-01-01 00:00:00'")
    queued = _run(tmp_path, "manage", "outbox_tick", "--enqueue", **up)
    assert queued.stdout.startswith("Queued the outbox tick (task ")
    _run(tmp_path, "worker", "--batch", **up)

    assert _query(tmp_path, "SELECT status, attempts FROM outbox_outboxmessage") == [("sent", 2)]
    assert len(smtp_server.messages) == 1
