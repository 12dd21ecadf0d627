"""Webhooks: subscriptions, events turned into stored deliveries, signed HTTP delivery, retries.

Managing: ``webhook_subscribe`` / ``webhook_unsubscribe``. Admins subscribe to one programme or
to every programme; organisers only to a programme they organise (``programme_can_edit``).

Emitting: ``webhooks_emit(event, payload, session=...)`` stores one ``WebhookDelivery`` per
active subscription that wants the event and may see it, then enqueues ``webhook_deliver_task``
after commit. A subscription sees what its creator sees: session events only for sessions
visible to the creator (``sessions_visible_to``), feedback only for sessions whose results the
creator may read (``session_results_allowed``); a deactivated creator's hooks get nothing.
The services call it from ``transaction.on_commit``, so a rolled-back change announces nothing.

Delivering: a POST of the JSON body
``{"id", "event", "created_at", "timestamp", "attempt", "data"}`` with the headers
``X-Kshare-Event``, ``X-Kshare-Delivery`` (the delivery id: the same on every retry, to
deduplicate), ``X-Kshare-Timestamp`` (Unix seconds, also in the signed body) and
``X-Kshare-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body with the subscription's
secret. Receivers verify the signature and refuse a timestamp older than a few minutes
(replay). Only a 2xx answer counts; anything else, a timeout or a connection error is retried
with back-off (1 min, 5 min, 15 min, 1 h, 4 h, then 12 h) up to ``KSHARE_WEBHOOK_MAX_ATTEMPTS``
attempts, then *failed* (kept; "Retry now" in the admin). Redirects are not followed and the
receiver's answer body is never stored. Every state change is a conditional UPDATE, as in the
outbox: two workers never send one delivery at the same time; a delivery whose worker died
while sending is put back by ``webhooks_tick`` (the clock's periodic task).

Addresses: only public ones (``addresses.py``), checked when the subscription is made (a form
or API error) and again at every attempt, where the name is resolved once and the connection
goes to the checked address (``transport.py``); ``KSHARE_WEBHOOK_ALLOW_HOSTS`` lets internal
receivers through. A failed attempt stores a generic class ("connection refused", "timeout",
"TLS error", "address not allowed", "HTTP 500", …), never the socket's error text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kshare.core.language import error_text
from kshare.core.queue import TICK_BATCH, ClaimQueue, TickResult
from kshare.core.queue import backoff as backoff
from kshare.feedback.models import FeedbackRequest, Response
from kshare.feedback.results import session_results_allowed
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programme_can_edit
from kshare.sessions.models import Session
from kshare.sessions.selectors import sessions_visible_to
from kshare.webhooks import transport
from kshare.webhooks.addresses import AddressRefused, AllowList, addresses_check, host_refusal
from kshare.webhooks.models import URL_MAX_LENGTH, Event, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
EVENTS = tuple(e.value for e in Event)
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_TIMEOUT = 10
USER_AGENT = "kshare-webhooks/1"
SIGNATURE_HEADER = "X-Kshare-Signature"


def _max_attempts() -> int:
    return int(getattr(settings, "KSHARE_WEBHOOK_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


# The claim/retry queue of deliveries; ``webhooks.tasks`` binds ``webhook_deliver_task``.
DELIVERIES = ClaimQueue(WebhookDelivery, max_attempts=_max_attempts, what="webhook delivery")


def _timeout() -> float:
    return float(getattr(settings, "KSHARE_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT))


# --- managing ----------------------------------------------------------------------------------


def webhooks_manageable_by(*, person: Person) -> QuerySet[Webhook]:
    """Admins manage every subscription; organisers those of programmes they organise."""
    hooks = Webhook.objects.all()
    if not person.is_authenticated or not person.is_organiser:
        return hooks.none()
    if person.is_admin:
        return hooks
    return hooks.filter(programme__organisers=person)


def webhook_can_manage(*, person: Person, webhook: Webhook) -> bool:
    if not person.is_authenticated or not person.is_organiser:
        return False
    if person.is_admin:
        return True
    return webhook.programme is not None and programme_can_edit(
        person=person, programme=webhook.programme
    )


def webhook_allow_list() -> AllowList:
    """``KSHARE_WEBHOOK_ALLOW_HOSTS`` (checked at start-up, read on every call)."""
    return AllowList.parse(list(getattr(settings, "KSHARE_WEBHOOK_ALLOW_HOSTS", [])))


def _address_check(url: str) -> None:
    """Refuse an address a delivery would refuse: an internal IP in any spelling, a localhost
    name, or a name that resolves to an internal address now. A name that does not resolve
    (yet) is accepted: every delivery resolves and checks it again."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allow = webhook_allow_list()
    refusal = host_refusal(host, port=port, allow=allow)
    problem = error_text(refusal) if refusal is not None else None
    if problem is None:
        try:
            addresses_check(
                host=host, port=port, addresses=transport.resolve(host, port), allow=allow
            )
        except AddressRefused as exc:
            problem = error_text(exc)
        except OSError:  # unknown to DNS today
            problem = None
    if problem is not None:
        raise ValidationError(
            {
                "url": _(
                    "kshare does not send webhooks to internal addresses: %(problem)s "
                    "Use the receiver's public address, or ask an administrator to allow it "
                    "(KSHARE_WEBHOOK_ALLOW_HOSTS)."
                )
                % {"problem": problem}
            }
        )


def _url_check(url: str) -> str:
    url = url.strip()
    bad = ValidationError({"url": _("Enter an http:// or https:// address.")})
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port outside 0-65535)
    except ValueError:
        raise bad from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad
    if len(url) > URL_MAX_LENGTH:
        raise ValidationError({"url": _("At most %(max)s characters.") % {"max": URL_MAX_LENGTH}})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Put no user name or password in the address.")})
    # Before the URL syntax: "http://2130706433/" is loopback, which says more than "invalid".
    _address_check(url)
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise bad from None
    return url


def _events_check(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise ValidationError(
            {"events": _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}}
        )
    chosen = [e for e in EVENTS if e in events]
    if not chosen:
        raise ValidationError({"events": _("Choose at least one event.")})
    return chosen


def webhook_secret_new() -> str:
    """A fresh signing secret: ``whsec_`` and 256 random bits."""
    return "whsec_" + secrets.token_urlsafe(32)


@transaction.atomic
def webhook_subscribe(
    *,
    by: Person,
    url: str,
    events: list[str],
    programme: Programme | None = None,
    description: str = "",
) -> Webhook:
    """A new subscription with a fresh secret (shown once to its creator)."""
    if not by.is_authenticated or not by.is_organiser:
        raise PermissionDenied(_("Only organisers and admins manage webhooks."))
    url, events = _url_check(url), _events_check(events)
    if programme is None and not by.is_admin:
        raise ValidationError({"programme": _("Choose a programme you organise.")})
    if programme is not None and not programme_can_edit(person=by, programme=programme):
        raise ValidationError(
            {"programme": _("You can only subscribe to programmes you organise.")}
        )
    return Webhook.objects.create(
        url=url,
        events=events,
        programme=programme,
        description=description.strip()[:200],
        secret=webhook_secret_new(),
        created_by=by,
    )


@transaction.atomic
def webhook_unsubscribe(*, webhook: Webhook, by: Person) -> None:
    """Delete the subscription and its deliveries (pending ones are never sent)."""
    if not webhook_can_manage(person=by, webhook=webhook):
        raise PermissionDenied(_("You cannot manage this webhook."))
    webhook.delete()


# --- emitting ----------------------------------------------------------------------------------


def _session_data(session: Any) -> dict[str, Any]:
    programme = session.programme
    return {
        "id": session.pk,
        "title": session.title,
        "state": session.state,
        "format": session.format,
        "visibility": session.visibility,
        "start": session.start,
        "end": session.end,
        "location": session.location,
        "programme": {"id": programme.pk, "name": programme.name, "slug": programme.slug},
        "hosts": [
            {"id": link.person_id, "display_name": link.person.display_name}
            for link in session.host_links.select_related("person").order_by("-role", "id")
        ],
        "url": settings.SITE_URL + session.get_absolute_url(),
    }


def _audience(webhooks: QuerySet[Webhook], *, event: str, session: Any) -> list[Webhook]:
    """The subscriptions that get ``event`` about ``session``: their creator may see it."""
    chosen = []
    for hook in webhooks:
        if event not in (hook.events or []):
            continue
        if session is None:
            chosen.append(hook)
            continue
        if hook.programme_id is not None and hook.programme_id != session.programme_id:
            continue
        creator = hook.created_by
        if event == Event.FEEDBACK_RECEIVED:
            allowed = session_results_allowed(person=creator, session=session)
        else:
            allowed = sessions_visible_to(person=creator).filter(pk=session.pk).exists()
        if allowed:
            chosen.append(hook)
    return chosen


def webhooks_emit(event: str, payload: dict[str, Any], *, session: Any = None) -> int:
    """Store a delivery of ``event`` for each subscription that wants it; returns how many.

    ``session`` (when the event is about one) limits the audience to subscriptions of its
    programme whose creator may see it. The first attempt is enqueued after commit.
    """
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}")
    hooks = Webhook.objects.filter(active=True, created_by__is_active=True).select_related(
        "created_by"
    )
    # JSON-safe once (datetimes as ISO 8601), so every attempt sends the same data.
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(webhook=hook, event=event, payload=data)
                for hook in _audience(hooks, event=event, session=session)
            ]
        )
        ids = [d.pk for d in deliveries]
        if ids:
            DELIVERIES.enqueue_on_commit(ids)
    return len(ids)


def webhooks_emit_session(*, event: str, session_id: int, rescheduled: bool = False) -> int:
    """Emit a session event with the session as it is now (called after commit).

    ``session.scheduled`` is also sent when a scheduled session moves, with ``rescheduled`` true.
    """
    session = Session.objects.select_related("programme").filter(pk=session_id).first()
    if session is None:
        return 0
    payload: dict[str, Any] = {"session": _session_data(session)}
    if event == Event.SESSION_SCHEDULED:
        payload["rescheduled"] = rescheduled
    return webhooks_emit(event, payload, session=session)


def webhooks_emit_feedback(
    *, session_id: int, person_id: int | None, released: int | None = None
) -> int:
    """Emit ``feedback.received`` (called after commit).

    A named programme announces each response, with the respondent. A programme with anonymous
    feedback announces each released batch (``feedback.release``) instead: ``respondent`` is
    null, ``released`` says how many responses the batch made visible, and there is never a
    response id or an answer in it — so the delivery time says nothing about who answered.
    """
    session = Session.objects.select_related("programme").filter(pk=session_id).first()
    if session is None:
        return 0
    anonymous = session.programme.feedback_anonymous
    respondent = None
    if not anonymous and person_id is not None:
        person = Person.objects.filter(pk=person_id).first()
        if person is not None:
            respondent = {"id": person.pk, "display_name": person.display_name}
    payload = {
        "session": _session_data(session),
        "feedback": {
            "anonymous": anonymous,
            "respondent": respondent,
            "released": released if anonymous else 1,
            "responses": Response.objects.released().filter(session=session).count(),
            "requests": FeedbackRequest.objects.filter(session=session).count(),
        },
    }
    return webhooks_emit(Event.FEEDBACK_RECEIVED, payload, session=session)


# --- delivering --------------------------------------------------------------------------------


def webhook_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw body with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(delivery: WebhookDelivery, *, timestamp: int, attempt: int) -> bytes:
    return json.dumps(
        {
            "id": delivery.pk,
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "timestamp": timestamp,
            "attempt": attempt,
            "data": delivery.payload,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def _post(delivery: WebhookDelivery, *, attempt: int) -> int:
    """POST the signed body; returns the HTTP status (``transport.DeliveryFailed`` otherwise)."""
    timestamp = int(timezone.now().timestamp())
    body = webhook_body(delivery, timestamp=timestamp, attempt=attempt)
    return transport.post(
        delivery.webhook.url,
        body=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Kshare-Event": delivery.event,
            "X-Kshare-Delivery": str(delivery.pk),
            "X-Kshare-Timestamp": str(timestamp),
            SIGNATURE_HEADER: webhook_signature(delivery.webhook.secret, body),
        },
        timeout=_timeout(),
        allow=webhook_allow_list(),
    )


def _deliver(delivery_id: int, *, now: datetime) -> tuple[str, None]:
    """Claim and send one due delivery: "" when not claimed, else its new status."""
    claimed_at = DELIVERIES.claim(delivery_id, now=now)
    if claimed_at is None:
        return "", None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    mine = DELIVERIES.mine(delivery_id, claimed_at)
    attempts = delivery.attempts + 1
    if not delivery.webhook.active:
        mine.update(status=Status.FAILED, last_error="The webhook is paused.", claimed_at=None)
        return Status.FAILED, None
    response_status: int | None = None
    try:
        response_status = _post(delivery, attempt=attempts)
        error = "" if 200 <= response_status < 300 else f"HTTP {response_status}"
    except transport.DeliveryFailed as exc:  # refused address, DNS, connection, TLS: retried
        error = exc.failure
        logger.info("Webhook delivery %s to %s: %s", delivery_id, delivery.webhook.url, exc.detail)
    except Exception:  # a bug; the row says only that it failed
        logger.exception("Webhook delivery %s failed unexpectedly", delivery_id)
        error = transport.CONNECTION_FAILED
    if not error:
        mine.update(
            status=Status.SENT,
            attempts=attempts,
            response_status=response_status,
            delivered_at=timezone.now(),
            claimed_at=None,
        )
        return Status.SENT, None
    if DELIVERIES.is_last(attempts):
        logger.warning("Webhook delivery %s failed for good: %s", delivery_id, error)
        mine.update(
            status=Status.FAILED,
            attempts=attempts,
            response_status=response_status,
            last_error=error,
            claimed_at=None,
        )
        return Status.FAILED, None
    logger.info("Webhook delivery %s: attempt %s failed (%s)", delivery_id, attempts, error)
    DELIVERIES.retry_later(
        mine,
        pk=delivery_id,
        attempts=attempts,
        response_status=response_status,
        last_error=error,
    )
    return Status.QUEUED, None


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Send one delivery if it is queued and due; True when the receiver took it now."""
    status, _ = _deliver(delivery_id, now=now or timezone.now())
    return status == Status.SENT


def webhooks_recover_stale(*, now: datetime | None = None) -> int:
    """Put deliveries stuck in *sending* (their worker died) back in the queue."""
    return DELIVERIES.recover_stale(now=now)


def webhooks_recover_lost(*, worker_ids: Iterable[str], now: datetime | None = None) -> int:
    """Put deliveries that workers whose lease expired were sending back in the queue, and send
    them now; returns how many."""
    return DELIVERIES.recover_lost(worker_ids=worker_ids, now=now)


def webhooks_tick(*, now: datetime | None = None, batch: int = TICK_BATCH) -> TickResult:
    """The periodic work: recover stale claims, then send up to ``batch`` due deliveries."""
    return DELIVERIES.tick(
        lambda delivery_id, now: _deliver(delivery_id, now=now), now=now, batch=batch
    )


@transaction.atomic
def webhook_deliveries_retry(*, delivery_ids: list[int], now: datetime | None = None) -> int:
    """Queue queued or failed deliveries for now ("Retry now"); returns how many."""
    count, ids = DELIVERIES.retry(delivery_ids, now=now)
    DELIVERIES.enqueue_on_commit(ids)
    return count
