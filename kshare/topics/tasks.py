"""Background work for topic requests: thin tasks that take ids and call a service."""

from __future__ import annotations

from django.tasks import task


@task
def notify_topic_requesters(session_id: int) -> int:
    """Mail requesters and +1s of topics a newly scheduled session answers."""
    # Imported here: kshare.sessions.services enqueues this task, and the service imports it.
    from kshare.sessions.models import Session
    from kshare.topics.services import topic_requests_notify_scheduled

    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        return 0
    return topic_requests_notify_scheduled(session=session)
