"""The feedback mail through the real outside world: an SMTP server, the task worker, the clock."""

import email
import email.policy
import re
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from kshare.core.clock import clock_start
from kshare.core.ticks import periodic_tasks
from kshare.feedback.dispatch import feedback_dispatch
from kshare.feedback.models import FeedbackRequest
from kshare.feedback.tests import clock_probe
from kshare.outbox.preferences import unsubscribe_link
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import AttendanceFactory, PastSessionFactory
from kshare.web.tests.test_cli import PROJECT_DIR, kshare_env


@pytest.mark.django_db
def test_the_form_mail_goes_through_a_real_smtp_server_with_text_and_html(smtp_server):
    now = timezone.now()
    session = PastSessionFactory(
        title="Pandas tricks", start=now - timedelta(hours=2), end=now - timedelta(hours=1)
    )
    AttendanceFactory(session=session, person=PersonFactory(email="ann@example.com"))

    with override_settings(MAILERS=smtp_server.mailers):
        assert feedback_dispatch(session=session) == 1

    assert mail.outbox == []
    [wire] = smtp_server.raw  # the bytes as sent (aiosmtpd's parsed copy folds lines again)
    received = email.message_from_bytes(wire.replace(b"\r\n", b"\n"), policy=email.policy.default)
    assert received["To"] == "ann@example.com"
    assert received["Subject"] == "How was “Pandas tricks”? Your feedback"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    request = FeedbackRequest.objects.get()
    link = f"http://127.0.0.1:8000/feedback/r/{request.pk}/"
    # The form, then the notification footer: turn feedback requests off, all settings.
    unsubscribe = unsubscribe_link(person_id=request.person_id, category="feedback")
    settings_page = "http://127.0.0.1:8000/people/me/notifications/"
    assert re.findall(r"http://\S+", text) == [link, unsubscribe, settings_page]
    assert re.findall(r'href="([^"]+)"', html) == [link, unsubscribe, settings_page]
    assert received["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert request.mail_pending is False


SETUP = """
from datetime import timedelta
from django.utils import timezone
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.models import Attendance, Session, SessionHost
now = timezone.now()
programme = Programme.objects.create(name="Tech talks", slug="tech-talks")
host = Person.objects.create_user("host@example.com", "x-password-1", display_name="Hal")
session = Session.objects.create(
    programme=programme, title="Worker talk", state="held",
    start=now - timedelta(hours=2), end=now - timedelta(hours=1),
)
SessionHost.objects.create(session=session, person=host)
for name in ("ann", "bob"):
    person = Person.objects.create_user(f"{name}@example.com", "x-password-1", display_name=name)
    Attendance.objects.create(session=session, person=person)
Attendance.objects.create(session=session, person=host)
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


def test_the_real_worker_runs_the_queued_tick_and_mails_the_attendees(tmp_path):
    """Not in TESTING mode: the database task backend and a file mailer, as in production."""
    mail_dir = tmp_path / "mail"
    env = {"EMAIL_URL": f"file://{mail_dir}", "KSHARE_TICK_SECONDS": "0"}
    _run(tmp_path, "migrate", **env)
    _run(tmp_path, "manage", "shell", "-c", SETUP, **env)
    queued = _run(tmp_path, "manage", "feedback_tick", "--enqueue", **env)
    assert queued.stdout.startswith("Queued the feedback tick (task ") is True

    with sqlite3.connect(tmp_path / "var" / "kshare.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM feedback_feedbackrequest").fetchone() == (0,)
    _run(tmp_path, "worker", "--batch", **env)

    with sqlite3.connect(tmp_path / "var" / "kshare.sqlite3") as db:
        rows = db.execute(
            "SELECT p.email, r.mail_pending FROM feedback_feedbackrequest r "
            "JOIN people_person p ON p.id = r.person_id ORDER BY p.email"
        ).fetchall()
        tasks = db.execute(
            "SELECT task_path, status FROM django_tasks_database_dbtaskresult "
            "ORDER BY enqueued_at, id"
        ).fetchall()
        outbox = db.execute("SELECT kind, status FROM outbox_outboxmessage").fetchall()
    assert rows == [("ann@example.com", 0), ("bob@example.com", 0)]
    # The tick queues the two mails in the outbox; the worker then sends each in its own task.
    assert tasks == [
        ("kshare.feedback.tasks.feedback_tick_task", "SUCCESSFUL"),
        ("kshare.outbox.tasks.outbox_send_task", "SUCCESSFUL"),
        ("kshare.outbox.tasks.outbox_send_task", "SUCCESSFUL"),
    ]
    assert outbox == [("feedback_request", "sent"), ("feedback_request", "sent")]
    written = "".join(path.read_text() for path in sorted(mail_dir.iterdir()))
    messages = [
        email.message_from_string(chunk.strip() + "\n", policy=email.policy.default)
        for chunk in written.split("-" * 79)
        if chunk.strip()
    ]
    assert sorted((m["To"], m["Subject"]) for m in messages) == [
        ("ann@example.com", "How was “Worker talk”? Your feedback"),
        ("bob@example.com", "How was “Worker talk”? Your feedback"),
    ]


def test_kshare_worker_runs_the_clock_which_queues_the_tick(tmp_path):
    env = {"EMAIL_URL": f"file://{tmp_path / 'mail'}", "KSHARE_TICK_SECONDS": "1"}
    _run(tmp_path, "migrate", **env)
    _run(tmp_path, "manage", "shell", "-c", SETUP, **env)

    # Nothing is queued: the tasks the worker runs before exiting are the clock's first period,
    # one of each registered tick (in the registry's order), the feedback tick among them.
    ticks = periodic_tasks()
    _run(tmp_path, "worker", "--max-tasks", str(len(ticks)), "--interval", "0.1", **env)

    with sqlite3.connect(tmp_path / "var" / "kshare.sqlite3") as db:
        tasks = db.execute(
            "SELECT task_path, status FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"
        ).fetchall()
        requests = db.execute("SELECT count(*) FROM feedback_feedbackrequest").fetchone()
    assert sorted(path for path, _ in tasks[: len(ticks)]) == sorted(ticks)
    assert ("kshare.feedback.tasks.feedback_tick_task", "SUCCESSFUL") in tasks
    assert requests == (2,)


@pytest.mark.django_db(transaction=True)  # the clock's thread claims each period in the database
def test_the_clock_enqueues_its_tasks_at_the_interval_until_stopped():
    # The immediate backend of the test settings runs what the clock enqueues at once.
    clock_probe.calls.clear()
    clock = clock_start(interval=0.05, tasks=["kshare.feedback.tests.clock_probe.probe"])
    try:
        deadline = time.monotonic() + 5
        while len(clock_probe.calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        clock.stop()
    ticks = len(clock_probe.calls)
    time.sleep(0.2)

    assert ticks >= 3
    assert len(clock_probe.calls) == ticks  # nothing after the stop
    assert clock.is_alive() is False


def test_a_clock_with_interval_0_is_switched_off():
    assert clock_start(interval=0) is None
