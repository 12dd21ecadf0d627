from __future__ import annotations

from django.http import HttpRequest

from kshare.sessions.models import Session


def attendance_log_context(request: HttpRequest, session: Session, *, can_edit: bool) -> dict:
    """Attendance-log panel on the session page (link to the log for hosts and organisers)."""
    return {}
