"""sessions/propose_hooks.py: what higher apps add to the propose flow, unnamed by sessions.

The topic request hook (topics/propose.py) is tested with the page in topics/tests; these check
the contract itself with a hook of the test's own: its prefill reaches the form, its ``proposed``
runs once with the new session, and an app without a hook for the request changes nothing.
"""

from __future__ import annotations

import pytest

from kshare.sessions import propose_hooks
from kshare.sessions.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_hook():
    seen: list[tuple[str, int]] = []

    def initial(request):
        return {"title": "From a hook"} if request.GET.get("from") == "hook" else {}

    def proposed(request, session):
        seen.append((request.POST.get("title"), session.pk))

    propose_hooks.propose_hook_register(name="zz-test", initial=initial, proposed=proposed)
    yield seen
    del propose_hooks._hooks["zz-test"]


def test_a_hooks_prefill_reaches_the_form(member_client, test_hook):
    form = member_client.get("/sessions/propose/?from=hook").context["form"]
    assert (form["title"].value(), form["tags_text"].value()) == ("From a hook", None)


def test_without_its_parameter_a_hook_prefills_nothing(member_client, test_hook):
    form = member_client.get("/sessions/propose/").context["form"]
    assert form["title"].value() is None


def test_a_hook_hears_of_the_proposed_session_once(member_client, test_hook):
    response = member_client.post(
        "/sessions/propose/",
        {"title": "Intro to SQL", "format": "talk", "level": "all", "visibility": "public"},
    )
    session = Session.objects.get()
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert test_hook == [("Intro to SQL", session.pk)]


def test_a_form_with_errors_runs_no_hook(member_client, test_hook):
    response = member_client.post(
        "/sessions/propose/",
        {"title": "", "format": "talk", "level": "all", "visibility": "public"},
    )
    assert (response.status_code, test_hook) == (200, [])


def test_the_registered_hooks_are_the_installed_apps(member_client):
    assert sorted(propose_hooks._hooks) == ["topics"]
