"""schemathesis against the live OpenAPI schema (``/api/v1/openapi.json``), through WSGI.

Stateless phase: every operation, a fixed number of derandomized examples (valid and invalid
data), as an organiser with a write token and again as a plain member. Stateful phase:
schemathesis's state machine over the schema's links (and those it infers), a bounded number of
steps. Checks: no 5xx, responses (status codes, content types, bodies) conform to the schema,
invalid input is rejected.

Generated path ids are steered at the seeded organisation (``matrix_support.world_build``) most
of the time, so operations reach real objects rather than answering 404 to every example.
Both databases run this file (CI runs the suite on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.api.tests.matrix_support import World, world_build
from kshare.dashboard.figures import FIGURES
from kshare.people.tests.factories import PersonFactory
from kshare.topics.models import TopicRequest
from kshare.wsgi import application

# Unknown query parameters are ignored, as by most HTTP APIs: not generated as "invalid" input.
# The token is ours to send, not generated.
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"allow-extra-parameters": False, "with-security-parameters": False}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
STATELESS = settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

FIGURE_NAMES = sorted(FIGURES)
# The ids of the current test's organisation (set by the ``world`` fixture).
CURRENT: dict[str, list[int]] = {}

# Path or query parameter -> the kind of object it names.
KINDS = {
    "session_id": "session",
    "session": "session",
    "person_id": "person",
    "idea_id": "idea",
    "material_id": "material",
    "request_id": "request",
    "topic_id": "topic",
    "programme_id": "programme",
    "programme": "programme",
    "webhook_id": "webhook",
    "invitation_id": "cohost_invitation",
}


def _steer(params: dict | None) -> dict | None:
    """Most generated ids become ids of seeded objects; every fourth stays as generated (404)."""
    if not params:
        return params
    for name, value in list(params.items()):
        if name == "name" and isinstance(value, str) and len(value) % 4:
            params[name] = FIGURE_NAMES[len(value) % len(FIGURE_NAMES)]  # dashboard figures
            continue
        ids = CURRENT.get(KINDS.get(name, ""))
        if ids and isinstance(value, int) and not isinstance(value, bool) and value % 4:
            params[name] = ids[value % len(ids)]
    return params


@schema.hook
def map_path_parameters(context, path_parameters):
    return _steer(path_parameters)


@schema.hook
def map_query(context, query):
    return _steer(query)


@pytest.fixture
def wsgi_db(db):
    """Calls through WSGI send the request signals; ``close_old_connections`` would close the
    test's connection in the middle of the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(wsgi_db, settings) -> World:
    settings.KSHARE_API_RATE = ""  # the fuzzer is not a client to throttle
    w = world_build()
    CURRENT.clear()
    CURRENT.update(w.ids())
    yield w
    CURRENT.clear()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@STATELESS
def test_stateless_as_organiser(case, world):
    case.call_and_validate(headers=_auth(world.tokens["organiser"]), checks=CHECKS)


MEMBER = settings(STATELESS, max_examples=8)


@schema.parametrize()
@MEMBER
def test_stateless_as_member(case, world):
    case.call_and_validate(headers=_auth(world.tokens["member"]), checks=CHECKS)


def test_schema_operations_are_all_fuzzed():
    """Every operation of the live schema is generated (none skipped as unsupported)."""
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 30
    assert all(re.match(r"^/api/v1/", op.path) for op in operations)


STATEFUL = settings(
    max_examples=15,
    stateful_step_count=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def test_stateful_as_organiser(world):
    """Sequences of calls following the links between operations (create a session, then read,
    change, schedule, cancel it; create an idea or a topic, then vote...)."""
    headers = _auth(world.tokens["organiser"])
    calls: list[tuple[str, int]] = []

    class Workflow(schema.as_state_machine()):
        def before_call(self, case):
            case.headers = {**(case.headers or {}), **headers}

        def after_call(self, response, case):
            calls.append((f"{case.method} {case.path}", response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    assert schema.statistic.transitions.total >= 50  # links inferred between the operations
    Workflow.run(settings=STATEFUL)
    # The machine chained calls: objects created by one step were used by the next ones.
    print(len(calls), sorted(set(calls)))
    assert len(calls) >= 40
    chained = {op for op, status in calls if "{" in op and 200 <= status < 300}
    assert len(chained) >= 3, calls


# --- regressions found by this file ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['"AAA"', "42", "[]", "null", "true"])
def test_request_body_must_be_a_json_object(body):
    """A JSON string body was read attribute by attribute ("AAA".title() became a topic's
    title) and a number cancelled a session: every body that is not an object is a 400."""
    client = ApiClient(token_create(PersonFactory()))
    response = client.post("topics", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "bad_request"
    assert not TopicRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0.5", "1700000000", "2026-05-01"])
def test_query_datetimes_are_iso_8601_with_a_time(value):
    """``?to=0.5`` was read as a Unix time; the schema documents ISO 8601 date-times."""
    response = ApiClient(token_create(PersonFactory())).get("sessions", {"to": value})
    assert response.status_code == 422, response.content
    assert "to" in response.json()["error"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["7.0", "1e3", "٣"])
def test_ids_are_digits_only(value):
    """``?team=7188592916823634.0`` was read as an id (so an invalid cursor went unnoticed)."""
    client = ApiClient(token_create(PersonFactory()))
    for path, query in (("people", {"team": value}), ("sessions", {"programme": value})):
        response = client.get(path, query)
        assert response.status_code == 422, response.content
    assert client.get(f"sessions/{value}").status_code in {404, 422}
    assert client.get("people", {"team": "7"}).status_code == 200


@pytest.mark.django_db
def test_text_limits_apply_to_the_text_as_sent():
    """A title of 199 characters between spaces (201 as sent) was accepted: the schema's
    maxLength is 200."""
    client = ApiClient(token_create(PersonFactory()))
    response = client.post("topics", {"title": "\t" + "x" * 199 + " "})
    assert response.status_code == 422, response.content
    assert client.post("topics", {"title": " " + "x" * 198 + " "}).json()["title"] == "x" * 198
    assert client.post("topics", {"title": "   "}).json()["error"]["fields"] == {
        "title": ["Must not be blank."]
    }
