"""Reminders through the real worker: a separate process, the database task backend, file mail.

Not in TESTING mode: the task rows, the outbox and the mail files are what production writes.
"""

import email
import email.policy
import sqlite3
import subprocess
import sys
from pathlib import Path

from kshare.core.tests.daytime import daytime_zone
from kshare.web.tests.test_cli import PROJECT_DIR, kshare_env

# Two sessions starting in 2 hours: "Worker talk" (two yes, one no) and "Second talk" (one
# yes). A reminder is made due by moving the session and its reminder back by 61 minutes, as
# if that time had passed.
SETUP = """
from datetime import timedelta
from django.utils import timezone
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.models import Invitation, Session, SessionHost
from kshare.sessions.services import session_schedule

programme = Programme.objects.create(
    name="Tech talks", slug="tech-talks", host_reminder_days="", invitee_reminder_hours="1",
    nudge_days=0,
)
host = Person.objects.create_user("host@example.com", "x-password-1", display_name="Hal")
for title, answers in (
    ("Worker talk", (("ann", "yes"), ("bob", "yes"), ("cid", "no"))),
    ("Second talk", (("dan", "yes"),)),
):
    session = Session.objects.create(programme=programme, title=title)
    SessionHost.objects.create(session=session, person=host)
    session_schedule(session=session, start=timezone.now() + timedelta(hours=2), by=host)
    # The host's own confirmation is not this test's subject (sessions/tests/test_host_loop.py).
    SessionHost.objects.filter(session=session).update(mail_due_at=None, mailed_sequence=0)
    for name, answer in answers:
        person = Person.objects.create_user(
            f"{name}@example.com", "x-password-1", display_name=name, timezone="Europe/Berlin"
        )
        Invitation.objects.create(session=session, person=person, response=answer)
"""

MAKE_DUE = """
from datetime import timedelta
from django.db.models import F
from kshare.scheduling.reminders.models import Reminder
from kshare.sessions.models import Session
shift = timedelta(minutes=61)
Session.objects.filter(title="{title}").update(start=F("start") - shift, end=F("end") - shift)
Reminder.objects.filter(session__title="{title}").update(due_at=F("due_at") - shift)
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


def _workers(home: Path, count: int, **env: str) -> None:
    """``count`` batch workers at once, each its own process."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "kshare.cli", "worker", "--batch"],
            cwd=PROJECT_DIR,
            env=kshare_env(home, **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr


def _mails(mail_dir: Path) -> list[email.message.EmailMessage]:
    if not mail_dir.exists():
        return []
    written = "".join(path.read_text() for path in sorted(mail_dir.iterdir()))
    return [
        email.message_from_string(chunk.strip() + "\n", policy=email.policy.default)
        for chunk in written.split("-" * 79)
        if chunk.strip()
    ]


def _db(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "var" / "kshare.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_a_due_reminder_is_mailed_once_by_the_worker_even_when_it_runs_again(tmp_path):
    mail_dir = tmp_path / "mail"
    env = {
        "EMAIL_URL": f"file://{mail_dir}",
        "KSHARE_TICK_SECONDS": "0",
        # The sessions start in two hours: they must not cross midnight where they are held.
        "TIME_ZONE": daytime_zone(2),
    }
    _run(tmp_path, "migrate", **env)
    _run(tmp_path, "manage", "shell", "-c", SETUP, **env)
    _run(tmp_path, "manage", "shell", "-c", MAKE_DUE.format(title="Worker talk"), **env)
    queued = _run(tmp_path, "manage", "reminders_tick", "--enqueue", **env)
    assert queued.stdout.startswith("Queued the reminders tick (task ") is True

    _run(tmp_path, "worker", "--batch", **env)
    # A restarted worker with a tick of its own to run sends nothing again.
    _run(tmp_path, "manage", "reminders_tick", "--enqueue", **env)
    _run(tmp_path, "worker", "--batch", **env)
    # Two workers at once, each with a tick, while the second session's reminder is due.
    _run(tmp_path, "manage", "shell", "-c", MAKE_DUE.format(title="Second talk"), **env)
    _run(tmp_path, "manage", "reminders_tick", "--enqueue", **env)
    _run(tmp_path, "manage", "reminders_tick", "--enqueue", **env)
    _workers(tmp_path, 2, **env)

    messages = _mails(mail_dir)
    assert sorted((m["To"], m["Subject"]) for m in messages) == [
        ("ann@example.com", "Reminder: “Worker talk” starts in 1 hour"),
        ("bob@example.com", "Reminder: “Worker talk” starts in 1 hour"),
        ("dan@example.com", "Reminder: “Second talk” starts in 1 hour"),
    ]
    assert messages[0].get_content_type() == "multipart/alternative"
    assert _db(tmp_path, "SELECT kind, status FROM outbox_outboxmessage ORDER BY id") == [
        ("reminder_invitee", "sent"),
        ("reminder_invitee", "sent"),
        ("reminder_invitee", "sent"),
    ]
    assert _db(
        tmp_path,
        "SELECT kind, offset_minutes, sent_at IS NOT NULL, recipients FROM reminders_reminder "
        "ORDER BY id",
    ) == [("invitee", 60, 1, 2), ("invitee", 60, 1, 1)]
    tasks = _db(
        tmp_path,
        "SELECT task_path, status, count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE 'kshare.outbox.%' OR task_path LIKE 'kshare.scheduling.reminders.%' "
        "GROUP BY task_path, status ORDER BY task_path",
    )
    assert tasks == [
        ("kshare.outbox.tasks.outbox_send_task", "SUCCESSFUL", 3),
        ("kshare.scheduling.reminders.tasks.reminders_tick_task", "SUCCESSFUL", 4),
    ]
