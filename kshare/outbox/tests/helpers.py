"""Mail servers that are not there, or refuse, for the outbox tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_mailers(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


def unreachable_smtp() -> dict:
    return smtp_mailers(closed_port())


class Refusing:
    """An SMTP handler that refuses every recipient with ``reply`` (e.g. a 550 or a 450)."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return self.reply


@contextmanager
def refusing_smtp(reply: str) -> Iterator[dict]:
    port = closed_port()
    controller = Controller(Refusing(reply), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield smtp_mailers(port)
    finally:
        controller.stop()


def notification_footer(*, person_id: int, category: str) -> str:
    """The end of a notification mail's text: what the outbox adds to it (RFC 8058 links)."""
    from django.conf import settings

    from kshare.outbox.categories import CATEGORIES
    from kshare.outbox.preferences import unsubscribe_link

    label = CATEGORIES[category].label
    return (
        f"\n\nYou get this mail because “{label}” is on in your notification settings.\n"
        f"Turn off “{label}”: {unsubscribe_link(person_id=person_id, category=category)}\n"
        f"All your notification settings: {settings.SITE_URL}/people/me/notifications/\n"
    )
