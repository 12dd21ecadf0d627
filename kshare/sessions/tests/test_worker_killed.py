"""A real `kshare worker` killed with SIGKILL half-way through a batch of 65 mails, and a new worker
started: every invitee gets their mail once, nothing is lost. Each test has a real SMTP server
(aiosmtpd) on loopback and runs the workers against the test database (SQLite file or
PostgreSQL), so what the dead worker left — a task row RUNNING, an outbox row *sending*, mails
owed on the invitation rows — is found again by the mechanisms production has: the lease
(KSHARE_WORKER_LEASE_SECONDS, 2 s here), the outbox's take-back, the invitation sweep.

Six workers killed, 390 mails checked (65 per test), none lost. Slow (about 30 s a test), and
run on both databases all the same: the claims and the lease's take-back are conditional UPDATEs
whose races differ between SQLite's single writer and PostgreSQL's row locks.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kshare.conftest import _Recorder
from kshare.core.models import WorkerLease
from kshare.core.tests.daytime import days_ahead_at
from kshare.outbox.models import OutboxMessage
from kshare.people.tests.factories import PersonFactory
from kshare.sessions import services
from kshare.sessions.invitations import invitations_create, rsvp_set
from kshare.sessions.models import Invitation, Session
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.workers import DATABASE_TASKS, Workers, wait_for

pytestmark = pytest.mark.django_db(transaction=True)  # the workers see committed rows only

INVITEES = 65
KILL_AFTER = 3
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
LEASE_SECONDS = 2


class Recorder(_Recorder):
    """Keeps every message; ``on_data`` runs after the server has a message, before it answers
    250 (so a worker killed there never hears the 250 the server then sends)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_data: Callable[[int], None] | None = None

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.on_data is not None:
            self.on_data(len(self.messages))
        return answer

    def by_recipient(self) -> dict[str, list[str]]:
        """Recipient → the Message-IDs of the mails they received, in order."""
        received: dict[str, list[str]] = defaultdict(list)
        for raw in self.messages:
            parsed = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
            received[str(parsed["To"])].append(str(parsed["Message-ID"]))
        return dict(received)


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    from kshare.outbox.tests.helpers import closed_port

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=closed_port())
    controller.start()
    try:
        yield recorder, controller.port
    finally:
        controller.stop()


@pytest.fixture
def workers(tmp_path, smtp) -> Iterator[Workers]:
    pool = Workers(
        tmp_path,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp[1]}",
        KSHARE_WORKER_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(autouse=True)
def database_tasks() -> Iterator[None]:
    """Tasks go to the database, as in production, for the workers to take."""
    with override_settings(TASKS=DATABASE_TASKS):
        yield


def _people(prefix: str) -> list:
    return [PersonFactory(email=f"{prefix}{i:02d}@example.com") for i in range(INVITEES)]


def _kill_after_outbox_rows(workers: Workers, process, kind: str, count: int = KILL_AFTER):
    """SIGKILL the worker once ``count`` mails of ``kind`` are in the outbox (mid-batch)."""
    wait_for(
        lambda: OutboxMessage.objects.filter(kind=kind).count() >= count,
        f"{count} {kind} mails in the outbox",
        process=process,
    )
    workers.kill(process)


def _everyone_once(
    recorder: Recorder, people, *, subject: str, duplicates: int = 0
) -> dict[str, list[str]]:
    """Wait until every person has the mail, then a little more for late copies; check that
    each got exactly one message (``duplicates`` copies allowed only with the same Message-ID)."""
    emails = {p.email for p in people}

    def arrived() -> set[str]:
        got = recorder.by_recipient()
        return {address for address in emails if address in got}

    wait_for(lambda: arrived() == emails, f"all {len(emails)} '{subject}' mails")
    time.sleep(LEASE_SECONDS + 1)  # a copy sent late would arrive now
    received = {k: v for k, v in recorder.by_recipient().items() if k in emails}
    assert set(received) == emails
    for address, ids in received.items():
        assert len(set(ids)) == 1, (address, ids)  # one message, however many copies
    copies = sum(len(ids) for ids in received.values()) - len(emails)
    assert copies == duplicates, received
    subjects = {
        str(email.message_from_bytes(m.as_bytes(), policy=email.policy.default)["Subject"])
        for m in recorder.messages
        if str(m["To"]) in emails
    }
    assert {s.split(":")[0] for s in subjects} == {subject}
    return received


def _nothing_owed(session: Session) -> None:
    invitations = Invitation.objects.filter(session=session)
    assert invitations.filter(mail_due_at__isnull=False).count() == 0
    assert invitations.filter(promoted_mail_due_at__isnull=False).count() == 0
    assert (
        list(
            OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).values(
                "to", "status", "attempts", "last_error", "claimed_by", "claimed_at", "sent_at"
            )
        )
        == []
    )


# -- the tests ------------------------------------------------------------------------------------


def test_a_worker_killed_mid_invitation_batch_leaves_a_running_task_that_the_next_one_finishes(
    smtp, workers
):
    recorder, _port = smtp
    session = ScheduledSessionFactory(title="Kafka basics")
    people = _people("invitee")
    first = workers.start()
    invitations_create(session=session, by=session.host_links.get().person, people=people)
    _kill_after_outbox_rows(workers, first, "invitation")

    # Killed half-way: the batch task is RUNNING for good (django-tasks-db alone never looks at
    # it again), some invitations are mailed and the rest are still owed on their rows.
    [task] = DBTaskResult.objects.filter(task_path="kshare.sessions.tasks.invitations_mail_task")
    owed = Invitation.objects.filter(session=session, mail_due_at__isnull=False).count()
    assert task.status == "RUNNING"
    assert KILL_AFTER <= INVITEES - owed < INVITEES

    second = workers.start()
    _everyone_once(recorder, people, subject="Invitation")
    task.refresh_from_db()
    # Taken back from the dead worker's expired lease and run again by the new one.
    assert (task.status, len(task.worker_ids)) == ("SUCCESSFUL", 2)
    assert task.worker_ids[1].split(":")[1] == str(second.pid)
    assert WorkerLease.objects.get(pid=first.pid).lost_at is not None
    assert OutboxMessage.objects.filter(kind="invitation").count() == INVITEES
    _nothing_owed(session)


def test_a_worker_killed_between_the_servers_250_and_its_update_resends_with_the_same_message_id(
    smtp, workers
):
    recorder, _port = smtp
    session = ScheduledSessionFactory(title="Kafka basics")
    people = _people("accepted")
    first = workers.start()
    killed = threading.Event()

    def kill_on_third(count: int) -> None:
        # The server has the 3rd mail; the worker dies before it hears 250 and marks its row.
        if count == KILL_AFTER and not killed.is_set():
            workers.kill(first)
            killed.set()

    recorder.on_data = kill_on_third
    invitations_create(session=session, by=session.host_links.get().person, people=people)
    wait_for(killed.is_set, "the 3rd mail at the server")
    [left] = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING)
    assert left.claimed_by.split(":")[1] == str(first.pid)

    workers.start()
    received = _everyone_once(recorder, people, subject="Invitation", duplicates=1)
    # The one copy is that mail, with its row's Message-ID: recognisable as the same message.
    [(address, ids)] = [(a, ids) for a, ids in received.items() if len(ids) == 2]
    assert (address, ids) == (left.to[0], [left.headers["Message-ID"]] * 2)
    left.refresh_from_db()
    assert (left.status, left.attempts, left.last_error) == (
        "sent",
        2,
        "The worker stopped while sending (its lease expired).",
    )
    _nothing_owed(session)


def _invited_and_mailed(people) -> Session:
    """A session whose invitees all had their invitation (SEQUENCE 0) before the test."""
    session = ScheduledSessionFactory(title="Kafka basics")
    now = timezone.now()
    Invitation.objects.bulk_create(
        Invitation(session=session, person=p, mailed_at=now, mailed_sequence=0) for p in people
    )
    return session


def test_a_worker_killed_mid_reschedule_batch_loses_no_new_time(smtp, workers):
    recorder, _port = smtp
    people = _people("moved")
    session = _invited_and_mailed(people)
    first = workers.start()
    services.session_schedule(
        session=session,
        start=days_ahead_at(27),
        by=session.host_links.get().person,
    )
    _kill_after_outbox_rows(workers, first, "update")
    workers.start()
    _everyone_once(recorder, people, subject="New time")
    assert set(Invitation.objects.values_list("mailed_sequence", flat=True)) == {1}
    _nothing_owed(session)


def test_a_worker_killed_mid_cancel_batch_loses_no_cancellation(smtp, workers):
    recorder, _port = smtp
    people = _people("cancelled")
    session = _invited_and_mailed(people)
    first = workers.start()
    services.session_cancel(session=session, by=session.host_links.get().person, reason="Ill")
    _kill_after_outbox_rows(workers, first, "cancelled")
    workers.start()
    _everyone_once(recorder, people, subject="Cancelled")
    _nothing_owed(session)


def test_a_worker_killed_mid_waitlist_promotions_loses_no_seat_mail(smtp, workers):
    recorder, _port = smtp
    people = _people("waiting")
    session = ScheduledSessionFactory(title="Pairing on Rust", capacity=1)
    host = session.host_links.get().person
    seated = PersonFactory(email="seated@example.com")
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ):
        for person in [seated, *people]:
            rsvp_set(session=session, person=person, response="yes")
    assert Invitation.objects.filter(session=session, waitlisted_at__isnull=False).count() == 65
    first = workers.start()
    services.session_update(session=Session.objects.get(pk=session.pk), by=host, capacity=None)
    _kill_after_outbox_rows(workers, first, "promoted")
    workers.start()
    _everyone_once(recorder, people, subject="A seat opened up")
    _nothing_owed(session)


def test_mails_whose_task_was_lost_altogether_are_sent_by_the_sweep(smtp, workers):
    """Not only a task in flight: with the task row gone (a queue that lost it), the rows still
    say what is owed, and the clock's sweep sends it."""
    recorder, _port = smtp
    session = ScheduledSessionFactory(title="Kafka basics")
    people = _people("swept")
    first = workers.start()
    invitations_create(session=session, by=session.host_links.get().person, people=people)
    _kill_after_outbox_rows(workers, first, "invitation")
    [task] = DBTaskResult.objects.filter(task_path="kshare.sessions.tasks.invitations_mail_task")
    assert task.status == "RUNNING"  # killed mid-batch
    task.delete()
    # Owed for longer than the sweep leaves to the task (a minute), without waiting one here.
    Invitation.objects.filter(mail_due_at__isnull=False).update(
        mail_due_at=timezone.now() - timedelta(minutes=2)
    )
    workers.start(KSHARE_TICK_SECONDS="1")
    _everyone_once(recorder, people, subject="Invitation")
    _nothing_owed(session)
