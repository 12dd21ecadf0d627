"""The feedback app reacts to what lower apps announce (they never call it)."""

from __future__ import annotations

from typing import Any

from kshare.feedback.services import feedback_form_create_default
from kshare.programmes.signals import programme_created


def _programme_created(sender: Any, *, programme: Any, by: Any, **kwargs: Any) -> None:
    # Every programme has a feedback form from the start (its default questions).
    feedback_form_create_default(programme=programme, by=by)


def connect() -> None:
    programme_created.connect(_programme_created, dispatch_uid="feedback-programme-created")
