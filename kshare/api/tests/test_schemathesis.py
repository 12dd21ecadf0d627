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

import os
import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kshare.api.schemas import MAX_ID, NON_BLANK_NO_NUL
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

# Schema-valid requests the server may still refuse: rules JSON Schema cannot state, each
# listed in docs/api.md ("What the schema cannot say"), as (error code, field).
DOCUMENTED_REJECTIONS = {
    ("invalid_cursor", "cursor"),  # opaque: only a next_cursor the server issued
    ("invalid", "start"),  # a proposal's wished date / a schedule's start: in the future
    ("invalid", "end"),  # after the start, within the format's length
    ("invalid", "before"),  # a search's last day not before its first
    ("invalid", "teams"),  # ids of existing teams
    ("invalid", "team"),  # the id of an existing team (dashboard filter)
    ("invalid", "call_url"),  # an https address of at most 500 characters as stored
    ("invalid", "people"),  # ids of existing people
    ("invalid", "cohosts"),  # ids of existing people other than the host
    ("invalid", "programme"),  # a programme the caller may propose into
    ("invalid", "area"),  # an existing product area
    ("invalid", "session"),  # a session the caller may see
    ("invalid", "tags"),  # a tag name needs a letter or digit
    ("invalid", "url"),  # a webhook's URL: http(s), a public address
    ("invalid", "__all__"),  # a rule across fields, named in the message
}
# Every check Schemathesis has (``--checks all``), with "schema-valid request rejected" allowed
# only the documented rejections above.
CHECKS = [check for check in REGISTERED_CHECKS.get_all() if check is not positive_data_acceptance]
SEEN_REJECTIONS: dict[tuple[str, str], int] = {}


def _documented(response) -> bool:
    if response.status_code not in (400, 422):
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    keys = {(error.get("code", ""), field) for field in (error.get("fields") or {"__all__": 0})}
    if not keys <= DOCUMENTED_REJECTIONS:
        return False
    for key in keys:
        SEEN_REJECTIONS[key] = SEEN_REJECTIONS.get(key, 0) + 1
    return True


def positive_data_acceptance_documented(ctx, response, case):
    """Schemathesis's "schema-valid request rejected", except for the documented rules."""
    if _documented(response):
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS.append(positive_data_acceptance_documented)
# Examples per operation: 200 on the SQLite leg, as issue 14 asks. Measured on the 2-core CI
# machine shared with other jobs: the organiser's 54 operations took 21.4 minutes at 200
# (6.5 at 40), so the PostgreSQL leg (for what only PostgreSQL refuses) fuzzes with 25.
# ``KSHARE_FUZZ_EXAMPLES`` sets it for a run.
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgres")
EXAMPLES = int(os.environ.get("KSHARE_FUZZ_EXAMPLES", "25" if ON_POSTGRESQL else "200"))
STATELESS = settings(
    max_examples=EXAMPLES,
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


# "API accepts invalid authentication" judges the credentials the machine generated, which
# ``before_call`` replaces with the organiser's valid token: every check but that one.
STATEFUL_CHECKS = [check for check in CHECKS if check.__name__ != "ignored_auth"]


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
            case.validate_response(response, checks=STATEFUL_CHECKS)

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
@pytest.mark.parametrize("value", ["7.5", "0x7", "٣", "7.", ""])
def test_ids_are_whole_numbers(value):
    """``?team=7188592916823634.5`` is not an id (so an invalid cursor goes unnoticed)."""
    client = ApiClient(token_create(PersonFactory()))
    for path, query in (("people", {"team": value}), ("sessions", {"programme": value})):
        response = client.get(path, query)
        assert response.status_code == 422, response.content
    assert client.get(f"sessions/{value}").status_code in {404, 422}
    assert client.get("people", {"team": "7"}).status_code == 200


@pytest.mark.django_db
def test_ids_are_what_json_schema_calls_an_integer():
    """JSON Schema reads 5.0 (and 5e0) as the integer 5: the server accepts it where the
    schema does (it answered 422), in the query, the path and a JSON body."""
    from kshare.people.tests.factories import TeamFactory
    from kshare.sessions.tests.factories import ScheduledSessionFactory

    team = TeamFactory()
    member = PersonFactory(team=team)
    session = ScheduledSessionFactory(host=member)
    client = ApiClient(token_create(member))
    by_id = client.get("people", {"team": str(team.pk)}).json()
    for spelled in (f"{team.pk}.0", f"{team.pk}e0", f"{team.pk}.000"):
        response = client.get("people", {"team": spelled})
        assert (response.status_code, response.json()) == (200, by_id)
    assert client.get(f"sessions/{session.pk}.0").json()["id"] == session.pk
    response = client.patch(f"sessions/{session.pk}", {"capacity": 12.0})
    assert (response.status_code, response.json()["capacity"]) == (200, 12), response.content
    response = client.patch(f"sessions/{session.pk}", {"capacity": 12.5})
    assert response.status_code == 422, response.content


def _schema() -> dict:
    from django.test import Client

    return Client().get("/api/v1/openapi.json").json()


def _keys(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        found.update(node)
        for value in node.values():
            _keys(value, found)
    elif isinstance(node, list):
        for value in node:
            _keys(value, found)
    return found


def _parameter(document: dict, path: str, name: str) -> dict:
    [parameter] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    return parameter["schema"]


@pytest.mark.django_db
def test_the_schema_states_bounds_as_json_schema_does():
    """``minimum``/``maximum``, never pydantic's ``ge``/``le`` (which clients ignore, so they
    sent 0 and the server answered 422)."""
    document = _schema()
    assert not {"ge", "le", "gt", "lt"} & _keys(document, set())
    assert _parameter(document, "/api/v1/recommendations/hosts", "topic") == {
        "description": "topic request id",
        "maximum": MAX_ID,
        "minimum": 1,
        "title": "Topic",
        "type": "integer",
    }
    [path_id] = document["paths"]["/api/v1/sessions/{session_id}"]["get"]["parameters"]
    assert (path_id["schema"]["minimum"], path_id["schema"]["maximum"]) == (1, MAX_ID)


@pytest.mark.django_db
@pytest.mark.parametrize("blank", ["   ", "\u3000", "\ufeff", "\x1c", "\x85\t"])
def test_non_blank_text_is_a_pattern_in_the_schema_and_the_server_reads_it_alike(blank):
    """``minLength: 1`` let "   " through the schema, which the server refused as blank."""
    document = _schema()
    title = document["components"]["schemas"]["TopicIn"]["properties"]["title"]
    assert (title["minLength"], title["pattern"]) == (1, NON_BLANK_NO_NUL)
    assert re.search(title["pattern"], blank) is None
    assert re.search(title["pattern"], "x\x00") is None
    client = ApiClient(token_create(PersonFactory()))
    response = client.post("topics", {"title": blank})
    assert response.json()["error"]["fields"] == {"title": ["Must not be blank."]}
    assert client.post("topics", {"title": blank + "x"}).status_code == 201


@pytest.mark.django_db
def test_date_ranges_are_in_the_schema():
    """The days and times the server refuses outside a range are outside the schema's pattern
    too: search days 1900-2999, dashboard days 1970-2999, date-times 1900-9000."""
    document = _schema()
    after = _parameter(document, "/api/v1/search", "after")["anyOf"][0]
    start = _parameter(document, "/api/v1/dashboard/figures", "start")["anyOf"][0]
    to = _parameter(document, "/api/v1/sessions", "to")["anyOf"][0]
    for schema, inside, outside in (
        (after, ["1900-01-01", "2999-12-31"], ["1899-12-31", "3000-01-01"]),
        (start, ["1970-01-01", "2999-12-31"], ["1969-12-31", "3000-01-01"]),
        (to, ["1900-01-01T00:00:00Z", "9000-12-31T23:59:59Z"], ["1899-12-31T23:00:00Z"]),
    ):
        assert [bool(re.search(schema["pattern"], v)) for v in inside + outside] == [True] * len(
            inside
        ) + [False] * len(outside)
    client = ApiClient(token_create(PersonFactory()))
    assert client.get("search", {"q": "x", "after": "1899-12-31"}).status_code == 422
    assert client.get("search", {"q": "x", "after": "1900-01-01"}).status_code == 200
    # The year as written counts: 1900 at +15:00 is still 1900 (1899 in UTC).
    response = client.get("sessions", {"from": "1900-01-01T00:00:00+15:00"})
    assert response.status_code == 200, response.content
    assert client.get("sessions", {"from": "9001-01-01T00:00:00Z"}).status_code == 422


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


@pytest.mark.django_db
def test_a_search_tag_is_a_slug_in_the_schema_too():
    """The search form refused a non-slug ``tag`` the schema allowed (a 400 "invalid")."""
    assert _parameter(_schema(), "/api/v1/search", "tag")["anyOf"][0]["pattern"] == (
        "^[-a-zA-Z0-9_]*$"
    )
    client = ApiClient(token_create(PersonFactory()))
    assert client.get("search", {"q": "a\x00b"}).status_code == 422  # the pattern, not a 400
    response = client.get("search", {"q": "x", "tag": "dé"})
    assert response.status_code == 422, response.content
    assert client.get("search", {"q": "x", "tag": "data-science"}).status_code == 200
