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


# The name before every task ended in ``_task``: topics 0002 rewrites the rows waiting at upgrade
# time; the alias runs those an old web process queues during a rolling upgrade, after it.
notify_topic_requesters = topic_requesters_notify_task
