"""Each mail is written in its recipient's language (their profile's choice, else the
installation's), whatever the language of the request or worker that sends it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from kshare.people.emails import password_reset_send
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.invitations import invitations_create
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.sessions.tests.test_invitations import host_of

pytestmark = pytest.mark.django_db


def _by_recipient() -> dict[str, mail.EmailMessage]:
    return {message.to[0]: message for message in mail.outbox}


def test_an_invitation_is_written_in_each_invitees_language(django_capture_on_commit_callbacks):
    session = ScheduledSessionFactory(title="Kafka basics")
    people = [
        PersonFactory(email="de@example.com", language="de"),
        PersonFactory(email="fr@example.com", language="fr"),
        PersonFactory(email="en@example.com", language=""),
    ]
    # The organiser invites from a French page.
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        invitations_create(session=session, by=host_of(session), people=people)
        assert translation.get_language() == "fr"  # the request's language is left alone

    mails = _by_recipient()
    subjects = {address: message.subject.split(":")[0] for address, message in mails.items()}
    assert subjects == {
        "de@example.com": "Einladung",
        "fr@example.com": "Invitation\N{NO-BREAK SPACE}",
        "en@example.com": "Invitation",
    }
    german = mails["de@example.com"]
    html = german.alternatives[0][0]
    assert '<html lang="de"' in html
    # The day is written the German way, in the invitee's timezone.
    assert any(
        day in german.subject
        for day in ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
    ), german.subject
    assert "Will you come?" not in german.body


def test_a_password_reset_is_written_in_the_account_holders_language(settings):
    settings.KSHARE_ORGANISATION_NAME = "ACME"
    PersonFactory(email="marie@example.com", language="fr")
    PersonFactory(email="max@example.com", language="de")

    with translation.override("de"):
        assert password_reset_send(email="marie@example.com") == 1
        assert translation.get_language() == "de"
    assert password_reset_send(email="max@example.com") == 1

    subjects = {address: message.subject for address, message in _by_recipient().items()}
    assert subjects == {
        "marie@example.com": "Définir un nouveau mot de passe pour ACME",
        "max@example.com": "Neues Passwort für ACME festlegen",
    }
