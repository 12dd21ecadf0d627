"""Every endpoint, every role, public, team-only and invite-only objects.

The operations are read from the live OpenAPI schema: an operation without an entry in
``MATRIX`` fails ``test_every_operation_has_a_matrix_entry``, so new endpoints must be added here.
The organisation is ``matrix_support.world_build``: for each visibility an upcoming and a held
session (hosted by ``host``, in a programme organised by ``organiser``; the team-only ones are
for team Red, where ``teammate`` is; ``invitee`` is invited to all of them; ``member`` to none)
with an idea, a material, a feedback request (the invitee's) and an attendance row.

Each request runs in a savepoint that is rolled back, so every role meets the same state.
Rules (written out per operation below):
- anonymous: always 401;
- READ: the object's viewers get the success status, everyone else the 404 of a missing object;
- EDIT: viewers who may not change the session get 403, invisible is 404;
- OWN: only the invitee's own feedback request: everyone else 404;
- a read-only token on any write operation: 403.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction

from kshare.api.api import api
from kshare.api.tests.helpers import ApiClient
from kshare.api.tests.matrix_support import ROLES, VISIBILITIES, World, world_build

pytestmark = pytest.mark.django_db

SIGNED_IN = ROLES[1:]
EDITORS = {"host", "organiser", "admin"}
# Who sees the objects of each visibility (the invitee is invited to every session).
VIEWERS = {
    "public": set(SIGNED_IN),
    "teams": {"teammate", "invitee", "host", "organiser", "admin"},
    "invite_only": {"invitee", "host", "organiser", "admin"},
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def read(ok: int = 200, *, hidden: int = 404):
    """Viewers of the object get ``ok``; others ``hidden`` (the status of a missing object)."""

    def rule(role: str, vis: str | None) -> int:
        return ok if role in VIEWERS[vis] else hidden

    return rule


def answer(ok: int = 200):
    """Viewers answer ``ok``; the host gets 409: a host is never asked "Will you come?"."""
    seen = read(ok)

    def rule(role: str, vis: str | None) -> int:
        status = seen(role, vis)
        return 409 if role == "host" and status == ok else status

    return rule


def edit(ok: int = 200, *, editor_status: dict[str, int] | None = None):
    """Editors get ``ok`` (or ``editor_status[role]``), other viewers 403, the rest 404."""

    def rule(role: str, vis: str | None) -> int:
        if role not in VIEWERS[vis]:
            return 404
        if role not in EDITORS:
            return 403
        return (editor_status or {}).get(role, ok)

    return rule


def own(ok: int = 200, owner: str = "invitee"):
    """Only the owner of the object (the invitee's feedback request)."""

    def rule(role: str, vis: str | None) -> int:
        return ok if role == owner else 404

    return rule


def everyone(ok: int = 200):
    def rule(role: str, vis: str | None) -> int:
        return ok

    return rule


def by_role(**statuses: int):
    """An explicit status per signed-in role (global operations)."""
    missing = set(SIGNED_IN) - set(statuses)
    assert not missing, missing

    def rule(role: str, vis: str | None) -> int:
        return statuses[role]

    return rule


@dataclass
class Entry:
    """How to call one operation on the object of a visibility, and what each role gets."""

    rule: Any
    obj: str | None = None  # upcoming, held, idea, material, request, topic, ... (None: global)
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # extra path parameters -> world key


def _path_ids(w: World, entry: Entry, vis: str | None) -> dict[str, Any]:
    objects = {
        "upcoming": lambda: w.upcoming[vis],
        "held": lambda: w.held[vis],
        "idea": lambda: w.ideas[vis],
        "material": lambda: w.materials[vis],
        "request": lambda: w.feedback_requests[vis],
        "topic": lambda: w.topic,
        "programme": lambda: w.programme,
        "person": lambda: w.people["host"],
        "webhook": lambda: w.webhook,
        "cohost_invitation": lambda: w.cohost_invitation,
    }
    obj = objects[entry.obj]() if entry.obj else None
    ids = {"id": obj.pk if obj is not None else None}
    for name, key in entry.params.items():
        ids[name] = w.people[key].pk
    return ids


S = "/api/v1/sessions/{session_id}"
MATRIX: dict[tuple[str, str], Entry] = {
    ("GET", "/api/v1/me"): Entry(everyone()),
    ("GET", "/api/v1/me/export"): Entry(everyone()),
    # Sessions
    ("GET", "/api/v1/sessions"): Entry(everyone()),
    ("POST", "/api/v1/sessions"): Entry(everyone(201), body={"title": "New session"}),
    ("GET", S): Entry(read(), "upcoming"),
    ("PATCH", S): Entry(edit(), "upcoming", body={"title": "Renamed"}),
    ("POST", S + "/schedule"): Entry(edit(), "upcoming", body={"start": "2030-01-07T10:00:00Z"}),
    ("POST", S + "/cancel"): Entry(edit(), "upcoming", body={"reason": "Ill"}),
    # Already held: editors get the state conflict, not a permission error.
    ("POST", S + "/held"): Entry(edit(409), "held"),
    # RSVP: whoever sees an upcoming session may answer (the host too).
    ("GET", S + "/rsvp"): Entry(read(), "upcoming"),
    ("POST", S + "/rsvp"): Entry(answer(), "upcoming", body={"response": "yes"}),
    # Attendance: viewers list (their own row), editors record and remove.
    ("GET", S + "/attendance"): Entry(read(), "held"),
    ("POST", S + "/attendance"): Entry(edit(201), "held", body={"people": ["$member"]}),
    ("DELETE", S + "/attendance/{person_id}"): Entry(
        edit(204), "held", params={"person_id": "invitee"}
    ),
    # Programmes and people: the programme is public; every active person is listed.
    ("GET", "/api/v1/programmes"): Entry(everyone()),
    ("GET", "/api/v1/programmes/{programme_id}"): Entry(everyone(), "programme"),
    ("GET", "/api/v1/people"): Entry(everyone()),
    ("GET", "/api/v1/people/{person_id}"): Entry(everyone(), "person"),
    # Co-hosting: the list is the caller's own; only the person asked answers (others: 404).
    ("GET", "/api/v1/cohosting"): Entry(everyone()),
    ("POST", "/api/v1/cohosting/{invitation_id}"): Entry(
        own(200), "cohost_invitation", body={"answer": "decline"}
    ),
    # Feedback: requests are the invitee's own; forms follow the session; results are for editors.
    ("GET", "/api/v1/feedback/requests"): Entry(everyone()),
    ("GET", "/api/v1/feedback/requests/{request_id}"): Entry(own(), "request"),
    ("POST", "/api/v1/feedback/requests/{request_id}/response"): Entry(
        own(400), "request", body={"answers": []}
    ),
    ("GET", "/api/v1/feedback/sessions/{session_id}/form"): Entry(read(), "held"),
    ("GET", "/api/v1/feedback/sessions/{session_id}/results"): Entry(edit(), "held"),
    # Materials and ideas follow their session.
    ("GET", "/api/v1/materials"): Entry(everyone()),
    ("GET", "/api/v1/materials/{material_id}"): Entry(read(), "material"),
    ("GET", "/api/v1/ideas"): Entry(everyone()),
    # An invisible session in the body is the same field error as a missing one.
    ("POST", "/api/v1/ideas"): Entry(
        read(201, hidden=400), "upcoming", body={"title": "More on this", "session": "$id"}
    ),
    ("GET", "/api/v1/ideas/areas"): Entry(everyone()),
    ("GET", "/api/v1/ideas/{idea_id}"): Entry(read(), "idea"),
    ("PUT", "/api/v1/ideas/{idea_id}/vote"): Entry(read(), "idea"),
    ("DELETE", "/api/v1/ideas/{idea_id}/vote"): Entry(read(), "idea"),
    # Topic requests are open to everyone signed in.
    ("GET", "/api/v1/topics"): Entry(everyone()),
    ("POST", "/api/v1/topics"): Entry(everyone(201), body={"title": "Teach us Go"}),
    ("GET", "/api/v1/topics/{topic_id}"): Entry(everyone(), "topic"),
    ("PUT", "/api/v1/topics/{topic_id}/vote"): Entry(everyone(), "topic"),
    ("DELETE", "/api/v1/topics/{topic_id}/vote"): Entry(everyone(), "topic"),
    ("PUT", "/api/v1/topics/{topic_id}/volunteer"): Entry(
        everyone(), "topic", body={"note": "I can"}
    ),
    ("DELETE", "/api/v1/topics/{topic_id}/volunteer"): Entry(everyone(), "topic"),
}

# Dashboard and webhooks: organisers and admins only.
MANAGERS = by_role(member=403, teammate=403, invitee=403, host=403, organiser=200, admin=200)
MATRIX.update(
    {
        ("GET", "/api/v1/search"): Entry(everyone(), query={"q": "Upcoming"}),
        ("GET", "/api/v1/recommendations/sessions"): Entry(everyone()),
        ("GET", "/api/v1/recommendations/recordings"): Entry(everyone()),
        ("GET", "/api/v1/recommendations/topics"): Entry(everyone()),
        # Invitee suggestions are for the session's editors.
        ("GET", "/api/v1/recommendations/invitees"): Entry(
            edit(), "upcoming", query={"session": "$id"}
        ),
        ("GET", "/api/v1/recommendations/hosts"): Entry(
            everyone(), "topic", query={"topic": "$id"}
        ),
        ("GET", "/api/v1/dashboard/figures"): Entry(MANAGERS),
        ("GET", "/api/v1/dashboard/definitions"): Entry(MANAGERS),
        ("GET", "/api/v1/dashboard/figures/{name}"): Entry(MANAGERS, params={}),
        ("GET", "/api/v1/webhooks"): Entry(MANAGERS),
        ("POST", "/api/v1/webhooks"): Entry(
            by_role(member=403, teammate=403, invitee=403, host=403, organiser=201, admin=201),
            body={
                "url": "https://chat.example.com/new",
                "events": ["session.held"],
                "programme": "$programme",
            },
        ),
        ("GET", "/api/v1/webhooks/{webhook_id}"): Entry(MANAGERS, "webhook"),
        ("DELETE", "/api/v1/webhooks/{webhook_id}"): Entry(
            by_role(member=403, teammate=403, invitee=403, host=403, organiser=204, admin=204),
            "webhook",
        ),
        ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Entry(MANAGERS, "webhook"),
    }
)


def schema_operations() -> list[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return sorted(
        (method.upper(), path)
        for path, ops in paths.items()
        for method in ops
        if method != "parameters"
    )


def _fill(value: Any, w: World, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        key = value[1:]
        if key == "id":
            return ids["id"]
        if key == "programme":
            return w.programme.pk
        return w.people[key].pk
    if isinstance(value, list):
        return [_fill(v, w, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, w, ids) for k, v in value.items()}
    return value


def _url(
    w: World, method: str, path: str, entry: Entry, vis: str | None
) -> tuple[str, Any, dict[str, Any]]:
    ids = _path_ids(w, entry, vis)
    url = path.removeprefix("/api/v1")
    for name in (
        "session_id",
        "idea_id",
        "material_id",
        "request_id",
        "topic_id",
        "programme_id",
        "webhook_id",
        "invitation_id",
    ):
        url = url.replace("{" + name + "}", str(ids["id"]))
    if "{person_id}" in url:
        url = url.replace("{person_id}", str(ids.get("person_id") or ids["id"]))
    if "{name}" in url:
        url = url.replace("{name}", FIGURE_NAME)
    return "/api/v1" + url, _fill(entry.body, w, ids), _fill(entry.query, w, ids)


def _missing(url: str, query: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The same request with the object's id (the first numeric path part, else the query's
    ids) replaced by one that does not exist."""
    parts = url.split("/")
    numeric = [i for i, part in enumerate(parts) if part.isdigit()]
    if numeric:
        parts[numeric[0]] = "987654321"
        return "/".join(parts), query
    return url, {k: 987654321 if isinstance(v, int) else v for k, v in query.items()}


def _figure_name() -> str:
    try:
        from kshare.dashboard.figures import FIGURES
    except ImportError:  # pragma: no cover - the dashboard app lands separately
        return "sessions"
    return next(iter(FIGURES))


FIGURE_NAME = _figure_name()


def call(w: World, token: str | None, method: str, url: str, body: Any, query: dict):
    """One request in a savepoint that is rolled back: every role meets the same state."""
    client = ApiClient(token)
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, query or None)
        elif method == "DELETE":
            response = client.delete(url)
        else:
            response = client.request(method.lower(), url, body if body is not None else {})
        transaction.set_rollback(True)
    return response


@pytest.fixture
def world(db, settings) -> World:
    settings.KSHARE_API_RATE = ""
    return world_build()


def test_every_operation_has_a_matrix_entry():
    missing = [op for op in schema_operations() if op not in MATRIX]
    assert not missing, f"Add these operations to MATRIX: {missing}"
    stale = [op for op in MATRIX if op not in schema_operations()]
    assert not stale, f"No longer in the schema: {stale}"


@pytest.mark.parametrize("operation", schema_operations(), ids=lambda op: f"{op[0]} {op[1]}")
def test_operation_by_role_and_visibility(world, operation):
    method, path = operation
    entry = MATRIX[operation]
    visibilities = (
        VISIBILITIES
        if entry.obj in {"upcoming", "held", "idea", "material", "request"}
        else (None,)
    )
    failures = []
    for vis in visibilities:
        url, body, query = _url(world, method, path, entry, vis)
        for role in ROLES:
            token = world.tokens.get(role)
            expected = 401 if role == "anonymous" else entry.rule(role, vis)
            response = call(world, token, method, url, body, query)
            if response.status_code != expected:
                failures.append(
                    f"{role:9} {vis or '-':11} expected {expected}, got {response.status_code}: "
                    f"{response.content[:160]!r}"
                )
            elif response.status_code >= 400:
                error = response.json()["error"]
                assert set(error) == {"code", "message", "fields"}, error
            if response.status_code == 404 and entry.obj:
                # Invisible is indistinguishable from missing.
                missing_url, missing_query = _missing(url, query)
                missing = call(world, token, method, missing_url, body, missing_query)
                assert missing.status_code == 404
                assert missing.json() == response.json(), (role, vis, url)
    assert not failures, f"{method} {path}:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    "operation",
    [op for op in schema_operations() if op[0] in WRITE_METHODS],
    ids=lambda op: f"{op[0]} {op[1]}",
)
def test_read_only_token_cannot_write(world, operation):
    """A read-scoped token of the admin (who may do everything) gets 403 on every write."""
    method, path = operation
    entry = MATRIX[operation]
    vis = "public" if entry.obj in {"upcoming", "held", "idea", "material", "request"} else None
    url, body, query = _url(world, method, path, entry, vis)
    for role in ("admin", "invitee"):
        response = call(world, world.read_tokens[role], method, url, body, query)
        assert response.status_code == 403, (role, response.content)
        assert response.json()["error"]["code"] == "insufficient_scope"


# --- lists never show what the caller may not see ----------------------------------------------

# Every object hanging from a session carries its session's visibility in its title.
HIDDEN_MARKERS = {
    vis: [f"Upcoming {vis}", f"Held {vis}", f"Idea {vis}", f"Slides {vis}"] for vis in VISIBILITIES
}
LIST_QUERIES = {
    "/api/v1/search": [{"q": "Upcoming"}, {"q": "Held"}, {"q": "Idea"}, {"q": "Slides"}],
    "/api/v1/ideas": [{"order": "top"}, {"order": "new"}],
    "/api/v1/sessions": [{}, {"state": "held"}, {"state": "scheduled"}],
}


def list_operations() -> list[str]:
    return [path for method, path in schema_operations() if method == "GET" and "{" not in path]


@pytest.mark.parametrize("role", SIGNED_IN)
def test_lists_never_show_invisible_objects(world, role):
    token = world.tokens[role]
    seen_anything = set()
    for path in list_operations():
        for query in LIST_QUERIES.get(path, [{}]):
            response = call(world, token, "GET", path, None, {**query, "limit": 100})
            if response.status_code != 200:
                continue
            if response["Content-Type"] == "application/zip":  # /me/export: its data.json
                archive = b"".join(response.streaming_content)
                text = zipfile.ZipFile(io.BytesIO(archive)).read("data.json").decode()
            else:
                text = json.dumps(response.json())
            for vis in VISIBILITIES:
                for marker in HIDDEN_MARKERS[vis]:
                    if marker in text:
                        seen_anything.add(marker)
                        assert role in VIEWERS[vis], f"{path} {query} shows {marker!r} to {role}"
    # The lists do show what the role may see (the test can fail in both directions).
    for vis in VISIBILITIES:
        if role in VIEWERS[vis]:
            assert f"Upcoming {vis}" in seen_anything
            assert f"Idea {vis}" in seen_anything


@pytest.mark.parametrize("role", SIGNED_IN)
def test_session_list_ids_by_role(world, role):
    ids = {
        s["id"]
        for s in call(
            world, world.tokens[role], "GET", "/api/v1/sessions", None, {"limit": 100}
        ).json()["items"]
    }
    for vis in VISIBILITIES:
        mine = {world.upcoming[vis].pk, world.held[vis].pk}
        if role in VIEWERS[vis]:
            assert mine <= ids
        else:
            assert not mine & ids
