"""What apps above sessions add to the propose flow, registered from their ``AppConfig.ready``.

The propose page is the sessions app's, but a proposal may start from something of a higher app
(a topic request: ``/sessions/propose/?request=<id>``). Such an app registers a hook by name:

- ``initial(request)``: the form's prefill (title, abstract, tags) it derives from the request's
  parameters, or ``{}`` when the parameters are not its own;
- ``proposed(request, session)``: what follows a proposal it started, run by the view right after
  the session is proposed (the topic request is linked to the new session and a message says so
  when it cannot be).

What the page shows of it (a notice, a hidden field carrying it through the POST, the familiar
topics card) is a part of a region of the page (``sessions/parts.py``), so the view and its
template name no higher app. A hook is a flow, not a signal: it needs the HTTP request (its
parameters and its messages) and runs in the view's order, which an on-commit signal cannot give.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from kshare.sessions.models import Session


@dataclass(frozen=True)
class ProposeHook:
    name: str
    initial: Callable[[HttpRequest], dict[str, Any]]
    proposed: Callable[[HttpRequest, Session], None]


_hooks: dict[str, ProposeHook] = {}


def propose_hook_register(
    *,
    name: str,
    initial: Callable[[HttpRequest], dict[str, Any]],
    proposed: Callable[[HttpRequest, Session], None],
) -> None:
    """Register (or replace, by name) what the app ``name`` adds to the propose flow."""
    _hooks[name] = ProposeHook(name=name, initial=initial, proposed=proposed)


def propose_initial(request: HttpRequest) -> dict[str, Any]:
    """The prefill the registered hooks derive from the request (in name order)."""
    initial: dict[str, Any] = {}
    for name in sorted(_hooks):
        initial.update(_hooks[name].initial(request))
    return initial


def propose_done(request: HttpRequest, session: Session) -> None:
    """Run every registered hook's ``proposed`` for the session just proposed (in name order)."""
    for name in sorted(_hooks):
        _hooks[name].proposed(request, session)
