"""The sessions app in German and French: pages, stored English defaults and refusals."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kshare.sessions import services
from kshare.sessions.models import AgendaItem, Format, SessionChange
from kshare.sessions.tests.factories import AgendaItemFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_the_session_page_speaks_the_readers_language(client, person):
    client.force_login(person)
    session = SessionFactory(host=person, format=Format.TALK)
    response = client.get(f"/sessions/{session.pk}/", HTTP_ACCEPT_LANGUAGE="de")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Diese Session ist vorgeschlagen und wartet auf einen Termin." in page
    assert "This session is proposed" not in page
    response = client.get(f"/sessions/{session.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Cette session est proposée et attend un créneau." in response.content.decode()


def test_default_agenda_titles_and_notes_are_shown_translated_and_stored_in_english():
    session = SessionFactory(host=None)
    default = AgendaItemFactory(session=session, position=10, title="Hands-on exercises")
    own = AgendaItemFactory(session=session, position=11, title="Hands-on exercises, 50% pairs")
    note = SessionChange(session=session, kind="edited", note="accepted to host it")
    with translation.override("de"):
        assert default.title_shown == "Praktische Übungen"
        assert own.title_shown == "Hands-on exercises, 50% pairs"
        assert note.note_shown == "hat zugesagt, sie zu leiten"
    assert AgendaItem.objects.get(pk=default.pk).title == "Hands-on exercises"


def test_a_refusal_names_the_format_in_the_active_language():
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.session_length_check(
            start=datetime(2030, 1, 7, 9, 0, tzinfo=UTC),
            end=datetime(2030, 1, 7, 12, 0, tzinfo=UTC),
            format=Format.TALK,
        )
    assert refused.value.message_dict == {
        "end": ["Une présentation dure au plus 2 h 00 min\u00a0: choisissez une fin plus tôt."]
    }
