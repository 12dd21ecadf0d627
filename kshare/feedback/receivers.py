"""The feedback app reacts to what lower apps announce (they never call it), and keeps its
cached overall ratings fresh when a row they read changes (``results.overall_ratings_changed``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from kshare.core.signals import rows_saved
from kshare.feedback.models import Answer, Question, Response
from kshare.feedback.results import overall_ratings_changed
from kshare.feedback.services import feedback_form_create_default
from kshare.feedback.tasks import feedback_dispatch_task
from kshare.programmes.signals import programme_created
from kshare.sessions import signals as session_signals
from kshare.sessions.models import Session


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


def _ratings_changed(sender: Any, **kwargs: Any) -> None:
    """A row the cached overall ratings read was saved or deleted (``results``)."""
    if kwargs.get("raw"):  # fixtures being loaded
        return
    instance = kwargs.get("instance")
    if sender is Response and kwargs.get("created") and not instance.released:
        return  # held (anonymous): counted once released, which announces itself
    update_fields = kwargs.get("update_fields")
    if (
        sender is Session
        and update_fields is not None
        and not {"programme", "programme_id"} & set(update_fields)
    ):
        return  # only a session moved to another programme moves its answers' ratings
    overall_ratings_changed()


def connect() -> None:
    for model in (Response, Answer, Question):
        name = model._meta.label
        post_save.connect(
            _ratings_changed, sender=model, dispatch_uid=f"feedback-ratings-{name}-save"
        )
        post_delete.connect(
            _ratings_changed, sender=model, dispatch_uid=f"feedback-ratings-{name}-delete"
        )
    post_save.connect(
        _ratings_changed, sender=Session, dispatch_uid="feedback-ratings-session-save"
    )
    rows_saved.connect(_ratings_changed, sender=Response, dispatch_uid="feedback-ratings-bulk")
    programme_created.connect(_programme_created, dispatch_uid="feedback-programme-created")
    session_signals.session_held.connect(
        dispatch_when_held, dispatch_uid="feedback_dispatch_when_held"
    )
    session_signals.attendance_added.connect(
        dispatch_to_late_attendee, dispatch_uid="feedback_dispatch_late_attendee"
    )
