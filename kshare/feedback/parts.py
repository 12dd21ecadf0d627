"""The feedback app's parts of other apps' pages (kshare/core/pages.py)."""

from __future__ import annotations

from django.http import HttpRequest

from kshare.core.pages import part_register
from kshare.feedback.results import session_feedback_due
from kshare.sessions.models import Session


def session_results_button(
    request: HttpRequest, session: Session, *, can_edit: bool
) -> dict | None:
    """The "Feedback results" button among the session page's Manage buttons, once the
    session collects feedback (no query)."""
    if not (can_edit and session_feedback_due(session=session)):
        return None
    return {}


def register() -> None:
    part_register(
        region="session.manage",
        name="feedback.results",
        template="feedback/_session_parts.html#results-button",
        context=session_results_button,
    )
