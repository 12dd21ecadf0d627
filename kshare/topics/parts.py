"""The topics app's parts of other apps' pages (kshare/core/pages.py) and its propose hook."""

from __future__ import annotations

from kshare.core.pages import part_register
from kshare.sessions.propose_hooks import propose_hook_register
from kshare.topics import propose


def register() -> None:
    # The propose page (sessions; region declared in sessions/parts.py): inside the form, the
    # request it answers, and the hidden field carrying it through the POST.
    part_register(
        region="session.propose.form",
        name="topics.request",
        template="topics/_propose_request.html",
        context=propose.propose_form_part,
    )
    propose_hook_register(name="topics", initial=propose.propose_initial, proposed=propose.proposed)
