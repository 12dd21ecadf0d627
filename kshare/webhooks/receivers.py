"""What webhooks do when other parts of kshare announce something."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kshare.core.leases import workers_lost
from kshare.feedback import signals as feedback_signals
from kshare.sessions import signals
from kshare.webhooks.models import Event
from kshare.webhooks.services import (
    webhooks_emit_feedback,
    webhooks_emit_session,
    webhooks_recover_lost,
)


@receiver(workers_lost, dispatch_uid="webhooks_workers_lost")
def take_back_lost_deliveries(*, worker_ids: tuple[str, ...], **kwargs: Any) -> None:
    """A dead worker's deliveries in flight are queued again at once (one attempt counted)."""
    webhooks_recover_lost(worker_ids=worker_ids)


# Session events, sent on commit: a rolled-back change announces nothing, and a webhook problem
# never fails the change (the signals are sent robustly).


@receiver(signals.session_scheduled, dispatch_uid="webhooks_session_scheduled")
def session_scheduled(*, session_id: int, **kwargs: Any) -> None:
    webhooks_emit_session(event=Event.SESSION_SCHEDULED.value, session_id=session_id)


@receiver(signals.session_rescheduled, dispatch_uid="webhooks_session_rescheduled")
def session_rescheduled(*, session_id: int, **kwargs: Any) -> None:
    """A move is announced as ``session.scheduled`` with ``"rescheduled": true``."""
    webhooks_emit_session(
        event=Event.SESSION_SCHEDULED.value, session_id=session_id, rescheduled=True
    )


@receiver(signals.session_cancelled, dispatch_uid="webhooks_session_cancelled")
def session_cancelled(*, session_id: int, **kwargs: Any) -> None:
    webhooks_emit_session(event=Event.SESSION_CANCELLED.value, session_id=session_id)


@receiver(signals.session_held, dispatch_uid="webhooks_session_held")
def session_held(*, session_id: int, **kwargs: Any) -> None:
    webhooks_emit_session(event=Event.SESSION_HELD.value, session_id=session_id)


# Feedback events (feedback/signals.py), also sent on commit and robustly: ``feedback.received``
# once per named response, once per released batch of anonymous ones.


@receiver(feedback_signals.feedback_received, dispatch_uid="webhooks_feedback_received")
def feedback_received(*, session_id: int, person_id: int, **kwargs: Any) -> None:
    webhooks_emit_feedback(session_id=session_id, person_id=person_id)


@receiver(feedback_signals.feedback_released, dispatch_uid="webhooks_feedback_released")
def feedback_released(*, session_id: int, released: int, **kwargs: Any) -> None:
    webhooks_emit_feedback(session_id=session_id, person_id=None, released=released)
