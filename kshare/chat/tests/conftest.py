from __future__ import annotations

import pytest

from kshare.chat.tests.receiver import Receiver, block_kit_problems, serve


@pytest.fixture
def slack_receiver(settings):
    """A Slack-like receiver on loopback, allowed as an internal host."""
    settings.KSHARE_CHAT_ALLOW_HOSTS = ["127.0.0.1"]
    receiver = Receiver(validate=block_kit_problems)
    stop = serve(receiver)
    yield receiver
    stop()
