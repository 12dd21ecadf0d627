"""Chat channels in "Your data" (never the webhook address) and in deleting an account (the
channel stays for its programme; who connected it is cleared)."""

from __future__ import annotations

import pytest

from kshare.chat import personal_data
from kshare.chat.models import ChatChannel, Platform
from kshare.chat.services import channel_connect
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(db):
    organiser = OrganiserFactory()
    programme = ProgrammeFactory(name="Tech talks")
    programme.organisers.add(organiser)
    channel = channel_connect(
        by=organiser,
        platform=Platform.SLACK,
        name="#tech-talks",
        url="https://hooks.slack.com/services/T0/B0/topsecretvalue",
        programme=programme,
        timezone_name="Europe/Berlin",
    )
    return organiser, channel


def test_export_names_the_channels_without_their_address(connected):
    organiser, channel = connected
    data = personal_data.export(organiser)
    assert data == {
        "chat_channels": [
            {
                "platform": "slack",
                "name": "#tech-talks",
                "programme__name": "Tech talks",
                "timezone": "Europe/Berlin",
                "active": True,
                "created_at": channel.created_at,
            }
        ]
    }
    assert "topsecretvalue" not in str(data)
    assert personal_data.export(PersonFactory()) == {"chat_channels": []}


def test_erasing_keeps_the_channel_and_clears_who_connected_it(connected):
    organiser, channel = connected
    personal_data.erase(organiser, PersonFactory())
    channel.refresh_from_db()
    assert (channel.created_by, ChatChannel.objects.count()) == (None, 1)
