from __future__ import annotations

from django.http import HttpRequest

from kshare.sessions.models import Session


def checkin_context(request: HttpRequest, session: Session, *, can_edit: bool) -> dict:
    """Check-in panel on the session page ("I'm here", the host's check-in page link)."""
    return {}
