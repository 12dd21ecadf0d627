"""A database busy for longer than kshare waits answers 503 with Retry-After — never a 500 —
and keeps nothing of the refused write (kshare/web/busy.py).

For real: another connection holds the write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL an
``EXCLUSIVE`` table lock) while kshare, with a short busy timeout (``lock_timeout`` on
PostgreSQL), takes a form post and an API call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.people.tests.factories import PersonFactory
from kshare.topics.models import TopicRequest, TopicVote

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = "kshare is busy saving other changes and could not save yours in time."


@pytest.fixture
def short_wait(monkeypatch):
    """kshare's own connection gives up after 0.2 s instead of 20 s (reconnected with it)."""
    options = connection.settings_dict["OPTIONS"]
    if connection.vendor == "sqlite":
        monkeypatch.setitem(options, "timeout", 0.2)
        monkeypatch.setitem(
            options,
            "init_command",
            options["init_command"].replace("busy_timeout=20000", "busy_timeout=200"),
        )
    else:
        monkeypatch.setitem(options, "options", "-c lock_timeout=200")
    connection.close()
    yield
    connection.close()


@contextmanager
def write_lock_held() -> Iterator[None]:
    """Another connection holds the write lock on the topics tables until the block ends.

    On PostgreSQL only the vote table is locked: the topic request row is written, then the
    vote waits — so the test also sees that the written half is rolled back.
    """
    if connection.vendor == "sqlite":
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
    else:
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params) as other:
            other.execute(f"LOCK TABLE {TopicVote._meta.db_table} IN EXCLUSIVE MODE")
            yield
            other.rollback()


def test_a_form_post_is_503_with_a_page_and_nothing_saved(client, short_wait):
    person = PersonFactory()
    client.force_login(person)
    with write_lock_held():
        response = client.post("/topics/new/", {"title": "dbt for analysts", "description": ""})
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert PAGE in response.text
        # Pages still read while another process writes.
        assert client.get("/topics/").status_code == 200
    assert (TopicRequest.objects.count(), TopicVote.objects.count()) == (0, 0)
    # Sent again once the lock is gone, it is saved (once).
    response = client.post("/topics/new/", {"title": "dbt for analysts", "description": ""})
    assert response.status_code == 302
    assert (TopicRequest.objects.count(), TopicVote.objects.count()) == (1, 1)


def test_an_api_write_is_503_with_the_json_error_body_and_nothing_saved(short_wait):
    api = ApiClient(token_create(PersonFactory()))
    assert api.get("me").status_code == 200  # last_used_at written now, not during the lock
    with write_lock_held():
        response = api.post("topics", {"title": "dbt for analysts"})
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response.json() == {
            "error": {
                "code": "busy",
                "message": "The database is busy and nothing was changed; retry in 5 seconds.",
                "fields": {},
            }
        }
        assert api.get("topics").status_code == 200
    assert (TopicRequest.objects.count(), TopicVote.objects.count()) == (0, 0)
    assert api.post("topics", {"title": "dbt for analysts"}).status_code == 201
    assert (TopicRequest.objects.count(), TopicVote.objects.count()) == (1, 1)


def test_a_busy_error_outside_a_view_is_a_503_too(rf):
    """The 500 handler answers 503 for a busy database raised by a middleware."""
    from django.db import OperationalError

    from kshare.web.views import server_error

    request = rf.post("/topics/new/")
    try:
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError as cause:
            raise OperationalError("database is locked") from cause
    except OperationalError:
        response = server_error(request)
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500
