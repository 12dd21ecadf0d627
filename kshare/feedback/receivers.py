"""The feedback app reacts to what lower apps announce (they never call it)."""

from __future__ import annotations

from typing import Any

from kshare.feedback.services import feedback_form_create_default
from kshare.feedback.tasks import feedback_dispatch_task
from kshare.programmes.signals import programme_created
from kshare.sessions import signals as session_signals


def _programme_created(sender: Any, *, programme: Any, by: Any, **kwargs: Any) -> None:
    # Every programme has a feedback form from the start (its default questions).
    feedback_form_create_default(programme=programme, by=by)


def dispatch_when_held(*, session_id: int, **kwargs: Any) -> None:
    """Attendees get the feedback form once the session is committed as held."""
    feedback_dispatch_task.enqueue(session_id)


def dispatch_to_late_attendee(*, session_id: int, after_held: bool, **kwargs: Any) -> None:
    """Someone added after "held" gets the feedback form now, not at the clock's next round (the
    dispatch sends only to those without a request, so the others get nothing twice)."""
    if after_held:
        feedback_dispatch_task.enqueue(session_id)


def connect() -> None:
    programme_created.connect(_programme_created, dispatch_uid="feedback-programme-created")
    session_signals.session_held.connect(
        dispatch_when_held, dispatch_uid="feedback_dispatch_when_held"
    )
    session_signals.attendance_added.connect(
        dispatch_to_late_attendee, dispatch_uid="feedback_dispatch_late_attendee"
    )
