"""The topics app's side of the propose page: a proposal that answers a topic request.

``/sessions/propose/?request=<id>`` (the link on a request and among the familiar topics)
prefills the form from the request; the page says which request it answers and carries its id
through the POST (``topics/_propose_request.html``, region ``session.propose.form``); once the
session is proposed it is linked to the request and its proposer becomes a volunteer. Registered
from ``topics/parts.py`` (``kshare/sessions/propose_hooks.py`` has the contract).
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kshare.sessions.models import Session
from kshare.topics.models import TopicRequest
from kshare.topics.services import topic_request_link

# The request a page answers, looked up once per HTTP request (prefill, the notice, the link).
_answered: WeakKeyDictionary[HttpRequest, TopicRequest | None] = WeakKeyDictionary()


def _lookup(raw: str | None) -> TopicRequest | None:
    if not raw or not raw.isdigit() or len(raw) > 18:
        return None
    return (
        TopicRequest.objects.filter(
            pk=int(raw), status=TopicRequest.Status.OPEN, session__isnull=True
        )
        .prefetch_related("tags")
        .first()
    )


def topic_request_answered(request: HttpRequest) -> TopicRequest | None:
    """The open, unanswered topic request the proposal starts from (``?request=<pk>``, or the
    form's ``topic_request`` field when posted), or None."""
    if request not in _answered:
        source = request.POST if request.method == "POST" else request.GET
        _answered[request] = _lookup(source.get("topic_request") or source.get("request"))
    return _answered[request]


def propose_initial(request: HttpRequest) -> dict[str, Any]:
    """The form prefilled from the request: its title, description and tags."""
    topic_request = topic_request_answered(request)
    if topic_request is None:
        return {}
    return {
        "title": topic_request.title,
        "abstract": topic_request.description,
        "tags_text": ", ".join(t.name for t in topic_request.tags.all()),
    }


def proposed(request: HttpRequest, session: Session) -> None:
    """The new session answers the request; a message says so when another one did meanwhile."""
    topic_request = topic_request_answered(request)
    if topic_request is None:
        return
    try:
        topic_request_link(request=topic_request, session=session, by=request.user)
    except ValidationError:
        messages.warning(
            request,
            _(
                "“%(title)s” was answered by another session meanwhile, so your session is not "
                "linked to that request."
            )
            % {"title": topic_request.title},
        )


def propose_form_part(request: HttpRequest, person: Any) -> dict[str, Any]:
    """The propose form's notice and hidden field (both empty without a request)."""
    return {"topic_request": topic_request_answered(request)}
