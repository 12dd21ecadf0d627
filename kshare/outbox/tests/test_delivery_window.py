"""At least once, with duplicates recognisable: one Message-ID per outbox row, on SITE_URL's host,
carried by every attempt; the row is marked sent on the server's 250 to the data, before QUIT."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings
from django.utils import timezone

from kshare.conftest import _Recorder
from kshare.core.queue import STALE_AFTER
from kshare.outbox.models import OutboxMessage
from kshare.outbox.services import mail_queue, outbox_deliver, outbox_recover_stale
from kshare.outbox.tests.helpers import smtp_mailers

Status = OutboxMessage.Status
MESSAGE_ID = re.compile(r"<\d+\.\d+\.\d+@kshare\.example\.com>")


def _message() -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject="Hello", body="Text", to=["ann@example.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    return message


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _message_ids(messages) -> list[str]:
    return [
        email.message_from_bytes(m.as_bytes(), policy=email.policy.default)["Message-ID"]
        for m in messages
    ]


class WatchesQuit(_Recorder):
    """Records each message, and at QUIT what the outbox row said by then (or hangs up)."""

    def __init__(self, *, hang_up: bool = False) -> None:
        super().__init__()
        self.hang_up = hang_up
        self.status_at_quit: list[str] = []

    async def handle_QUIT(self, server, session, envelope):
        # The database is read off the event loop (Django refuses it in async code).
        status = await asyncio.get_running_loop().run_in_executor(None, self._status)
        self.status_at_quit.append(status)
        if self.hang_up:
            server.transport.abort()  # no 221: the client sees the connection drop
        return "221 Bye"

    @staticmethod
    def _status() -> str:
        from django.db import connection

        try:
            return OutboxMessage.objects.get().status
        finally:
            connection.close()


@pytest.fixture
def watching_smtp(request):
    handler = WatchesQuit(hang_up=getattr(request, "param", False))
    controller = Controller(handler, hostname="127.0.0.1", port=_port())
    controller.start()
    try:
        yield handler, smtp_mailers(controller.port)
    finally:
        controller.stop()


@pytest.mark.django_db
@override_settings(SITE_URL="https://kshare.example.com")
def test_each_row_gets_its_own_message_id_on_the_site_host(django_capture_on_commit_callbacks):
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ):
        first = mail_queue(_message(), kind="session_invite")
        second = mail_queue(_message(), kind="session_invite")
    assert MESSAGE_ID.fullmatch(first.headers["Message-ID"]) is not None
    assert MESSAGE_ID.fullmatch(second.headers["Message-ID"]) is not None
    assert first.headers["Message-ID"] != second.headers["Message-ID"]


@pytest.mark.django_db(transaction=True)
@override_settings(SITE_URL="https://kshare.example.com")
def test_the_row_is_marked_sent_before_quit_and_a_resend_carries_the_same_message_id(
    watching_smtp,
):
    handler, mailers = watching_smtp
    with override_settings(
        MAILERS=mailers, TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ):
        stored = mail_queue(_message(), kind="session_invite")
        assert outbox_deliver(message_id=stored.pk) is True
        assert handler.status_at_quit == [Status.SENT]

        # The worker died after the server's 250 but before it recorded it (the row was left
        # *sending*): the tick takes it back and the resend is the same message, by its id.
        OutboxMessage.objects.filter(pk=stored.pk).update(
            status=Status.SENDING, claimed_at=timezone.now() - STALE_AFTER - timedelta(seconds=1)
        )
        assert outbox_recover_stale() == 1
        assert outbox_deliver(message_id=stored.pk) is True

    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.SENT, 3)
    assert _message_ids(handler.messages) == [stored.headers["Message-ID"]] * 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("watching_smtp", [True], indirect=True)
def test_a_server_that_hangs_up_at_quit_has_still_taken_the_mail(watching_smtp):
    handler, mailers = watching_smtp
    with override_settings(
        MAILERS=mailers, TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ):
        stored = mail_queue(_message(), kind="session_invite")
        assert outbox_deliver(message_id=stored.pk) is True
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.last_error) == (Status.SENT, 1, "")
    assert (len(handler.messages), handler.status_at_quit) == (1, [Status.SENT])
