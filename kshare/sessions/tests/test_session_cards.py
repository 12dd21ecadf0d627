"""Session lists' cards are rendered once per content and reused: any change to what a card
shows, and the reader's language and time zone, make a new card at once."""

from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.timezone import localtime

from kshare.core.tests.daytime import days_ahead_at
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Format, State
from kshare.sessions.templatetags import session_cards
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.tags.models import Tag

pytestmark = pytest.mark.django_db

UPCOMING = "/sessions/upcoming/"


@pytest.fixture(autouse=True)
def _no_kept_cards():
    session_cards.cards_forget()
    yield
    session_cards.cards_forget()


def _html(client) -> str:
    response = client.get(UPCOMING)
    assert response.status_code == 200
    return response.content.decode()


def _rendered():
    """Counts the card template's renders."""
    return mock.patch.object(
        session_cards, "render_to_string", wraps=session_cards.render_to_string
    )


def test_a_card_is_rendered_once_and_the_same_for_every_reader(client):
    session = ScheduledSessionFactory(title="Caching in depth")
    readers = [PersonFactory(timezone="Europe/Berlin"), PersonFactory(timezone="Europe/Berlin")]

    with _rendered() as rendered:
        pages = []
        for reader in readers:
            client.force_login(reader)
            pages.append(_html(client))

    assert rendered.call_count == 1
    assert "Caching in depth" in pages[0]
    # The readers' own parts (the star's form) around the same card.
    card = pages[0].split('<li class="session-item card">')[1].split('<div class="star')[0]
    assert card in pages[1]
    assert f'href="/sessions/{session.pk}/"' in card


def test_every_change_to_what_a_card_shows_shows_at_once(client):
    host = PersonFactory(display_name="Ada Lovelace")
    # At 10:00, so that moving the start to 7:15 below keeps it before the end.
    session = ScheduledSessionFactory(title="Old title", host=host, start=days_ahead_at(20))
    tag = Tag.objects.create(name="Databases", slug="databases")
    session.tags.add(tag)
    reader = PersonFactory(timezone="UTC")
    client.force_login(reader)
    assert "Old title" in _html(client)

    session.title = "New title"
    session.save()
    assert "New title" in _html(client)

    host.display_name = "Ada King"
    host.save()
    assert "Ada King" in _html(client)

    tag.name = "Data stores"
    tag.save()
    assert ">Data stores</a>" in _html(client)

    session.programme.name = "Renamed programme"
    session.programme.save()
    assert "<span>Renamed programme</span>" in _html(client)

    session.format = Format.WORKSHOP
    session.save()
    assert "<span>Workshop</span>" in _html(client)

    session.start = session.start.replace(hour=7, minute=15)
    session.save()
    assert f'datetime="{session.start.isoformat()}"' in _html(client)

    # Lists other than the upcoming one show held sessions too.
    before = session_cards.session_card(session)
    session.state = State.HELD
    assert '<span class="badge state-held">Held</span>' in session_cards.session_card(session)
    assert "state-" not in before


def test_the_readers_time_zone_and_language_make_their_own_card(client):
    session = ScheduledSessionFactory()
    berlin = PersonFactory(timezone="Europe/Berlin", language="")
    new_york = PersonFactory(timezone="America/New_York", language="de")
    with translation.override("de"):
        german_talk = str(Format.TALK.label)
    assert german_talk != "Talk"

    client.force_login(berlin)
    in_berlin = _html(client)
    client.force_login(new_york)
    in_new_york = _html(client)

    at = session.start
    assert f'datetime="{localtime(at, ZoneInfo("Europe/Berlin")).isoformat()}"' in in_berlin
    assert f'datetime="{localtime(at, ZoneInfo("America/New_York")).isoformat()}"' in in_new_york
    assert "<span>Talk</span>" in in_berlin
    assert f"<span>{german_talk}</span>" in in_new_york


def test_only_the_newest_cards_are_kept(client, monkeypatch):
    monkeypatch.setattr(session_cards._cards, "limit", 2)
    sessions = [ScheduledSessionFactory() for _ in range(3)]
    client.force_login(PersonFactory())

    _html(client)

    kept = {key[0] for key in session_cards._cards.held_keys()}
    assert len(kept) == 2
    assert kept < {s.pk for s in sessions}
