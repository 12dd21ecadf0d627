"""Fixtures shared by every app's tests."""

import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory


@pytest.fixture
def person(db):
    return PersonFactory(email="member@example.com", display_name="Mia Member")


@pytest.fixture
def organiser(db):
    return OrganiserFactory(email="organiser@example.com", display_name="Olga Organiser")


@pytest.fixture
def admin_person(db):
    return AdminFactory(email="admin@example.com", display_name="Ada Admin")


@pytest.fixture
def member_client(client, person):
    client.force_login(person)
    return client


class _Recorder(Message):
    """Keeps every message the SMTP server receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@dataclass
class SMTPServer:
    port: int
    messages: list = field(default_factory=list)

    @property
    def mailers(self) -> dict:
        """``MAILERS`` sending through this server.

        Django's test runner points every mailer at locmem once, when the run starts; the mail
        API reads ``settings.MAILERS`` on every send, so ``override_settings(MAILERS=...)``
        really uses SMTP.
        """
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SMTPServer(port=port, messages=recorder.messages)
    finally:
        controller.stop()
