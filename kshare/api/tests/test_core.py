"""The API foundation: authentication, the error format, pagination, rate limiting, docs."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib import admin
from django.test import Client, override_settings
from django.utils import timezone

from kshare.api.api import api
from kshare.api.models import ApiToken, token_hash
from kshare.api.pagination import cursor_decode, cursor_encode, cursor_page
from kshare.api.tests.helpers import ApiClient, token_create
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


# --- authentication -------------------------------------------------------------------------


def test_me_with_a_token(person):
    raw = token_create(person, scope="read")
    response = ApiClient(raw).get("me")
    assert response.status_code == 200
    assert response.json() == {
        "id": person.pk,
        "email": "member@example.com",
        "display_name": "Mia Member",
        "team": None,
        "timezone": "Europe/Berlin",
        "role": "member",
        "is_organiser": False,
        "is_admin": False,
        "token_scope": "read",
    }


def test_only_the_hash_is_stored(person):
    raw = token_create(person)
    token = ApiToken.objects.get()
    assert token.token_hash == token_hash(raw) != raw
    assert raw.startswith("ksh_") and raw.startswith(token.prefix) and len(token.prefix) == 12


def _refusal(response) -> tuple:
    return (
        response.status_code,
        response["Content-Type"],
        response["WWW-Authenticate"],
        response.content,
    )


ONE_401 = (
    401,
    "application/json",
    'Bearer realm="kshare"',
    b'{"error": {"code": "unauthorized", "message": "Invalid or expired token.", "fields": {}}}',
)


@pytest.mark.parametrize(
    "reason",
    [
        "missing",
        "empty bearer",
        "bearer and a space",
        "unknown",
        "not a kshare token",
        "basic scheme",
        "too long",
        "NUL inside",
        "revoked",
        "person deactivated",
    ],
)
def test_every_401_is_the_same_answer_after_the_same_work(
    person, reason, django_assert_num_queries
):
    """Unknown, revoked, malformed or a deactivated person: one body, one lookup query."""
    raw = token_create(person)
    header = {
        "missing": None,
        "empty bearer": "Bearer",
        "bearer and a space": "Bearer ",
        "unknown": "Bearer ksh_wrongwrongwrongwrongwrongwrong",
        "not a kshare token": "Bearer not-a-kshare-token",
        "basic scheme": "Basic dXNlcjpwYXNz",
        "too long": "Bearer ksh_" + "a" * 500,
        "NUL inside": "Bearer ksh_\x00abcabcabcabcabcabcabcabc",
        "revoked": f"Bearer {raw}",
        "person deactivated": f"Bearer {raw}",
    }[reason]
    if reason == "revoked":
        ApiToken.objects.update(revoked_at=timezone.now())
    if reason == "person deactivated":
        person.is_active = False
        person.save()
    headers = {"Authorization": header} if header is not None else {}
    with django_assert_num_queries(1):
        response = Client().get("/api/v1/me", headers=headers)
    assert _refusal(response) == ONE_401


def test_a_signed_in_browser_session_is_not_enough(member_client):
    """Only tokens authenticate the API: a session cookie alone is 401 (so no CSRF exposure)."""
    _error(member_client.get("/api/v1/me"), 401, "unauthorized")
    _error(member_client.post("/api/v1/sessions", {"title": "x"}), 401)


def test_anonymous_is_401_on_every_operation():
    """Every operation of the schema (with a fake id) answers 401 without a token."""
    schema = api.get_openapi_schema()
    client = Client()
    checked = 0
    for path, item in schema["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in item:
            response = getattr(client, method)(url, content_type="application/json")
            _error(response, 401, "unauthorized")
            checked += 1
    assert checked >= 15


def test_read_token_cannot_write(person):
    raw = token_create(person, scope="read")
    error = _error(ApiClient(raw).post("sessions", {"title": "Hi"}), 403, "insufficient_scope")
    assert "read-only" in error["message"]
    from kshare.sessions.models import Session

    assert not Session.objects.exists()


def test_bearer_requests_need_no_csrf_token(person):
    client = Client(enforce_csrf_checks=True)
    response = ApiClient(token_create(person), client=client).post("sessions", {"title": "Hi"})
    assert response.status_code == 201


def test_last_used_is_written_at_most_once_a_minute(person, django_assert_num_queries):
    raw = token_create(person)
    client = ApiClient(raw)
    assert client.get("me").status_code == 200
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    # Within the minute: only the token lookup, no update.
    with django_assert_num_queries(1):
        assert client.get("me").status_code == 200
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - dt.timedelta(minutes=2))
    with django_assert_num_queries(2):
        assert client.get("me").status_code == 200
    assert ApiToken.objects.get().last_used_at > first - dt.timedelta(minutes=1)


def test_token_admin_is_registered():
    assert admin.site.is_registered(ApiToken)


# --- the error format -----------------------------------------------------------------------


def test_404_unknown_endpoint_and_missing_object(person):
    client = ApiClient(token_create(person))
    _error(client.get("nothing/here"), 404, "not_found")
    _error(client.get("sessions/999999"), 404, "not_found")
    _error(ApiClient().get("nothing/here"), 404, "not_found")


def test_405_has_the_error_body_and_allow(person):
    response = ApiClient(token_create(person)).put("me", {})
    _error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_422_maps_fields(person):
    client = ApiClient(token_create(person))
    error = _error(
        client.post("sessions", {"title": 12, "format": "opera", "capacity": "3"}),
        422,
        "validation_error",
    )
    assert set(error["fields"]) == {"title", "format", "capacity"}
    error = _error(client.get("sessions", {"limit": 0}), 422, "validation_error")
    assert set(error["fields"]) == {"limit"}


def test_400_for_a_body_that_is_not_json(person):
    _error(ApiClient(token_create(person)).post("sessions", "{not json"), 400, "bad_request")


def test_400_for_a_service_field_error(person):
    client = ApiClient(token_create(person))
    # The same rule as the web form: a wished date must be in the future.
    error = _error(
        client.post("sessions", {"title": "Hi", "start": "2001-01-01T10:00:00Z"}), 400, "invalid"
    )
    assert error["fields"] == {"start": ["Choose a date in the future."]}


def test_409_for_a_state_conflict(person):
    session = SessionFactory(host=person, state="cancelled")
    error = _error(
        ApiClient(token_create(person)).post(f"sessions/{session.pk}/cancel", {}),
        409,
        "invalid_state",
    )
    assert error["message"] == "A cancelled session cannot be cancelled."


def test_naive_datetimes_are_rejected_and_offsets_normalised(person):
    client = ApiClient(token_create(person))
    error = _error(client.post("sessions", {"title": "Hi", "start": "2040-01-01T10:00:00"}), 422)
    assert "UTC offset" in error["fields"]["start"][0]
    _error(client.post("sessions", {"title": "Hi", "start": 1700000000}), 422)
    response = client.post("sessions", {"title": "Hi", "start": "2040-01-01T10:00:00+05:30"})
    assert response.status_code == 201
    assert response.json()["start"] == "2040-01-01T04:30:00Z"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"title": "a\x00b"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "location": "y" * 201}, "location"),
        ({"title": "ok", "capacity": 10**20}, "capacity"),
        ({"title": "ok", "capacity": True}, "capacity"),
        ({"title": "ok", "programme": 2**63}, "programme"),
        ({"title": "ok", "tags": ["t" * 61]}, "tags.0"),
    ],
)
def test_bad_input_is_a_422_not_a_500(person, payload, field):
    error = _error(ApiClient(token_create(person)).post("sessions", payload), 422)
    assert field in error["fields"]


def test_far_off_years_are_422(person):
    client = ApiClient(token_create(person))
    for value in ("9999-12-31T20:00:00Z", "0001-01-01T00:00:00+05:00"):
        error = _error(client.post("sessions", {"title": "Hi", "start": value}), 422)
        assert list(error["fields"]) == ["start"]


def test_too_large_body_is_413(person):
    client = ApiClient(token_create(person))
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        _error(client.post("sessions", {"title": "x" * 200}), 413, "too_large")


def test_a_bug_is_a_500_with_the_error_body(person, monkeypatch, caplog):
    from kshare.api.routers import programmes

    def broken(programme):
        raise RuntimeError("boom")

    ProgrammeFactory()
    monkeypatch.setattr(programmes, "programme_out", broken)
    error = _error(ApiClient(token_create(person)).get("programmes"), 500, "server_error")
    assert "boom" not in error["message"]
    assert "Unexpected API error on GET /api/v1/programmes" in caplog.text


def test_query_strings_are_checked_too(person):
    client = ApiClient(token_create(person))
    assert "tag" in _error(client.get("sessions", {"tag": "a\x00"}), 422)["fields"]
    assert "session_id" in _error(client.get(f"sessions/{2**70}"), 422)["fields"]
    assert "from" in _error(client.get("sessions", {"from": "yesterday"}), 422)["fields"]


def test_every_operation_declares_its_errors():
    schema = Client().get("/api/v1/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            declared = set(operation["responses"])
            assert {"400", "401", "403", "404", "422", "429"} <= declared, (method, path)
            ref = operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorOut")


# --- pagination -----------------------------------------------------------------------------


def test_cursor_round_trip_visits_every_row_once(person):
    sessions = [SessionFactory(host=person) for _ in range(7)]
    client = ApiClient(token_create(person))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("sessions", params).json()
        seen += [s["id"] for s in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [s.pk for s in sessions]  # no start: by id


def test_pages_are_stable_when_rows_are_added(person):
    first = [SessionFactory(host=person) for _ in range(3)]
    client = ApiClient(token_create(person))
    body = client.get("sessions", {"limit": 2}).json()
    assert [s["id"] for s in body["items"]] == [s.pk for s in first[:2]]
    later = SessionFactory(host=person)
    first[0].delete()  # a row of a page already read goes away: nothing is skipped or repeated
    body = client.get("sessions", {"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [s["id"] for s in body["items"]] == [first[2].pk, later.pk]


def test_dated_sessions_come_first_by_start(person):
    undated = SessionFactory(host=person)
    late = ScheduledSessionFactory(host=person, start=timezone.now() + dt.timedelta(days=9))
    early = ScheduledSessionFactory(host=person, start=timezone.now() + dt.timedelta(days=2))
    client = ApiClient(token_create(person))
    ids = []
    cursor = None
    for _ in range(3):
        body = client.get("sessions", {"limit": 1, **({"cursor": cursor} if cursor else {})})
        ids += [s["id"] for s in body.json()["items"]]
        cursor = body.json()["next_cursor"]
    assert ids == [early.pk, late.pk, undated.pk]
    assert cursor is None


@pytest.mark.parametrize("cursor", ["abc", "x" * 900, "eyJvIjpbXX0:1abc:def"])
def test_invalid_cursor_is_400(person, cursor):
    error = _error(
        ApiClient(token_create(person)).get("sessions", {"cursor": cursor}), 400, "invalid_cursor"
    )
    assert error["fields"] == {"cursor": ["Invalid cursor."]}


def test_a_bad_cursor_is_400_also_when_the_team_filter_names_no_team(person):
    # Found by Schemathesis: the unknown team answered an empty page before reading the cursor.
    client = ApiClient(token_create(person))
    error = _error(client.get("people", {"team": 999999, "cursor": "false"}), 400, "invalid_cursor")
    assert error["fields"] == {"cursor": ["Invalid cursor."]}
    assert client.get("people", {"team": 999999}).json() == {"items": [], "next_cursor": None}


def test_a_cursor_of_another_list_is_400(person):
    SessionFactory(host=person)
    other = cursor_encode(person, ("display_name", "id"))
    _error(
        ApiClient(token_create(person)).get("programmes", {"cursor": other}), 400, "invalid_cursor"
    )


def test_cursor_encoding_keeps_types():
    when = dt.datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC)
    row = {"start": when, "id": 5}
    cursor = cursor_encode(row, ("start", "-id"))
    assert cursor_decode(cursor, ("start", "-id")) == [when, 5]


def test_cursor_page_descending(person):
    sessions = [SessionFactory(host=person) for _ in range(3)]
    from kshare.sessions.models import Session

    page = cursor_page(Session.objects.all(), cursor=None, limit=2, order=("-id",))
    assert [s.pk for s in page["items"]] == [sessions[2].pk, sessions[1].pk]
    page = cursor_page(Session.objects.all(), cursor=page["next_cursor"], limit=2, order=("-id",))
    assert [s.pk for s in page["items"]] == [sessions[0].pk]
    assert page["next_cursor"] is None


# --- rate limiting --------------------------------------------------------------------------


@override_settings(KSHARE_API_RATE="3/minute")
def test_rate_limit_per_token(person, monkeypatch):
    from django.core.cache import cache

    from kshare.api import auth

    # The clock stands still 20 s into a window, so the requests cannot straddle two windows.
    monkeypatch.setattr(auth.time, "time", lambda: 1_800_000_020.0)
    cache.clear()
    first = ApiClient(token_create(person, name="one"))
    second = ApiClient(token_create(person, name="two"))
    assert [first.get("me").status_code for _ in range(3)] == [200, 200, 200]
    response = first.get("me")
    _error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) == 40
    # Another token has its own budget.
    assert second.get("me").status_code == 200
    cache.clear()


@override_settings(KSHARE_API_RATE="")
def test_an_empty_rate_is_unlimited(person):
    client = ApiClient(token_create(person))
    assert {client.get("me").status_code for _ in range(5)} == {200}


def test_rate_setting_is_validated(monkeypatch):
    from kshare import config

    monkeypatch.setenv("KSHARE_API_RATE", "lots")
    with pytest.raises(config.ConfigError, match="600/minute"):
        config.env_rate("KSHARE_API_RATE", "600/minute")
    monkeypatch.setenv("KSHARE_API_RATE", "20/hour")
    assert config.env_rate("KSHARE_API_RATE", "600/minute") == "20/hour"


# --- schema and docs ------------------------------------------------------------------------


def test_openapi_schema_is_valid_openapi_3():
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "kshare API"
    OPENAPI_31_VALIDATOR.validate(schema)
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_openapi_json_has_no_duplicate_keys():
    """YAML parsers (the docs page's among them) refuse a mapping with a key twice; json.loads
    keeps the last one silently, so the served text is read with a hook that counts keys."""
    duplicates: list[list[str]] = []

    def pairs(items: list[tuple[str, object]]) -> dict:
        keys = [key for key, _ in items]
        if len(set(keys)) != len(keys):
            duplicates.append(keys)
        return dict(items)

    response = Client().get("/api/v1/openapi.json")
    json.loads(response.content, object_pairs_hook=pairs)
    assert duplicates == []


def test_docs_page_works_offline_under_the_csp():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    for attrs, body in scripts:
        assert f'nonce="{nonce}"' in attrs
        assert not body.strip() or 'type="application/json"' in attrs  # data, not code
    assert "cdn" not in html.lower() and "https://" not in html
    assert "style=" not in html
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert Client().get(url).status_code == 200, url
