from __future__ import annotations

from django.http import HttpRequest

from kshare.sessions.models import Session


def questions_context(request: HttpRequest, session: Session, *, can_edit: bool) -> dict:
    """Live questions on the session page."""
    return {}
