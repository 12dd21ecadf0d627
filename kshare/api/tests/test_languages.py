"""The API speaks the reader's language in its error messages; codes and keys stay English."""

from __future__ import annotations

import pytest

from kshare.api.tests.helpers import ApiClient, token_create

pytestmark = pytest.mark.django_db


def test_accept_language_de_gives_german_error_messages(person):
    client = ApiClient(token_create(person))

    german = client.get("sessions/999999", headers={"Accept-Language": "de"})
    english = client.get("sessions/999999")

    assert german.status_code == english.status_code == 404
    assert german.json() == {
        "error": {"code": "not_found", "message": "Diese Session gibt es nicht.", "fields": {}}
    }
    assert german["Content-Language"] == "de"
    assert english.json()["error"]["message"] == "No such session."
