"""Webhook subscriptions (organisers for programmes they organise, admins for any or all) and
their recent deliveries. The secret that signs the payloads is returned once, on creation.

See ``kshare.webhooks.services`` for the payload, the headers (``X-Kshare-Signature:
sha256=<hex>`` over the raw body, ``X-Kshare-Event``, ``X-Kshare-Delivery``,
``X-Kshare-Timestamp``) and the retries. Members get a 403; a subscription the caller may not
manage is the same 404 as a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kshare.api.auth import require_write
from kshare.api.errors import ApiError, not_found
from kshare.api.pagination import PageQuery, cursor_page
from kshare.api.schemas import ERRORS, Id, Page, PersonRef, Text
from kshare.api.util import PathId, service_call
from kshare.programmes.selectors import programmes_visible_to
from kshare.webhooks.models import URL_MAX_LENGTH, Webhook
from kshare.webhooks.services import webhook_subscribe, webhook_unsubscribe, webhooks_manageable_by

router = Router(tags=["webhooks"])

EventName = Literal["session.scheduled", "session.cancelled", "session.held", "feedback.received"]
ORDER = ("-created_at", "-id")


class ProgrammeBrief(Schema):
    id: int
    name: str


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[EventName]
    programme: ProgrammeBrief | None = Field(description="null: every programme (admins)")
    active: bool
    created_by: PersonRef
    created_at: dt.datetime
    secret_hint: str = Field(description="the secret's first characters")


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="signs every payload; shown only now")


class WebhookIn(Schema):
    url: Text(URL_MAX_LENGTH, min_length=1)
    events: list[EventName] = Field(min_length=1, max_length=4)
    programme: Id | None = Field(None, description="programme id; empty for all (admins)")
    description: Text(200) = ""


class DeliveryOut(Schema):
    id: int
    event: EventName
    status: Literal["queued", "sending", "sent", "failed"]
    attempts: int
    next_attempt_at: dt.datetime | None = Field(description="when queued: the next attempt")
    response_status: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    payload: dict[str, Any]


def _manager(request: HttpRequest) -> None:
    if not request.user.is_organiser:
        raise ApiError(403, "forbidden", _("Only organisers and admins manage webhooks."))


def webhook_out(hook: Webhook) -> dict[str, Any]:
    programme = hook.programme
    return {
        "id": hook.pk,
        "url": hook.url,
        "description": hook.description,
        "events": list(hook.events),
        "programme": {"id": programme.pk, "name": programme.name} if programme else None,
        "active": hook.active,
        "created_by": {"id": hook.created_by_id, "display_name": hook.created_by.display_name},
        "created_at": hook.created_at,
        "secret_hint": hook.secret[:10] + "…",
    }


def _hooks(request: HttpRequest):
    return webhooks_manageable_by(person=request.user).select_related("programme", "created_by")


def _hook(request: HttpRequest, pk: int) -> Webhook:
    _manager(request)
    hook = _hooks(request).filter(pk=pk).first()
    if hook is None:
        raise not_found(_("No such webhook."))
    return hook


@router.get("", response={200: Page[WebhookOut], **ERRORS}, summary="List webhooks")
def webhook_list(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Admins: every subscription; organisers: those of the programmes they organise."""
    _manager(request)
    result = cursor_page(_hooks(request), cursor=page.cursor, limit=page.limit, order=ORDER)
    return {
        "items": [webhook_out(h) for h in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@router.post("", response={201: WebhookCreatedOut, **ERRORS}, summary="Subscribe")
def webhook_create(request: HttpRequest, payload: WebhookIn):
    """A new subscription; the response holds its secret, shown only this once."""
    require_write(request)
    _manager(request)
    programme = None
    if payload.programme is not None:
        programme = programmes_visible_to(person=request.user).filter(pk=payload.programme).first()
        if programme is None:
            raise ApiError(
                400, "invalid", _("No such programme."), {"programme": [_("No such programme.")]}
            )
    hook = service_call(
        webhook_subscribe,
        by=request.user,
        url=payload.url,
        events=list(payload.events),
        programme=programme,
        description=payload.description,
    )
    hook = _hooks(request).get(pk=hook.pk)
    return Status(201, {**webhook_out(hook), "secret": hook.secret})


@router.get("/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="One webhook")
def webhook_detail(request: HttpRequest, webhook_id: PathId) -> dict[str, Any]:
    return webhook_out(_hook(request, webhook_id))


@router.delete("/{webhook_id}", response={204: None, **ERRORS}, summary="Unsubscribe")
def webhook_delete(request: HttpRequest, webhook_id: PathId):
    """Deletes the subscription and its deliveries (queued ones are never sent)."""
    require_write(request)
    hook = _hook(request, webhook_id)
    service_call(webhook_unsubscribe, webhook=hook, by=request.user)
    return Status(204, None)


@router.get(
    "/{webhook_id}/deliveries",
    response={200: Page[DeliveryOut], **ERRORS},
    summary="Recent deliveries",
)
def delivery_list(
    request: HttpRequest, webhook_id: PathId, page: Query[PageQuery]
) -> dict[str, Any]:
    """The subscription's deliveries, newest first."""
    hook = _hook(request, webhook_id)
    result = cursor_page(hook.deliveries.all(), cursor=page.cursor, limit=page.limit, order=ORDER)
    return {
        "items": [
            {
                "id": d.pk,
                "event": d.event,
                "status": d.status,
                "attempts": d.attempts,
                "next_attempt_at": d.next_attempt_at if d.status == "queued" else None,
                "response_status": d.response_status,
                "last_error": d.last_error,
                "created_at": d.created_at,
                "delivered_at": d.delivered_at,
                "payload": d.payload,
            }
            for d in result["items"]
        ],
        "next_cursor": result["next_cursor"],
    }
