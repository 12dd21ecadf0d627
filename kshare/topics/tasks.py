"""Background work for topic requests: thin tasks that take ids and call a service."""

from __future__ import annotations

from django.tasks import task

from kshare.sessions.models import Session
from kshare.topics.services import topic_requests_notify_scheduled


@task
def topic_requesters_notify_task(session_id: int) -> int:
    """Mail requesters and +1s of topics a newly scheduled session answers."""
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        return 0
    return topic_requests_notify_scheduled(session=session)
