"""Background work for feedback: thin tasks that take ids and call the dispatch services."""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from kshare.feedback.dispatch import feedback_dispatch, feedback_tick
from kshare.sessions.models import Session


@task
def feedback_dispatch_task(session_id: int) -> int:
    """Send the feedback form for a session that has just ended; returns the mails sent."""
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        return 0
    return feedback_dispatch(session=session)


@task
def feedback_tick_task() -> dict[str, int]:
    """The periodic feedback work (dispatch, reminders, retries); enqueued by the clock."""
    return asdict(feedback_tick())


# The name before every task ended in ``_task``: feedback 0005 rewrites the rows waiting at upgrade
# time; the alias runs those an old web process queues during a rolling upgrade, after it.
feedback_dispatch_session = feedback_dispatch_task
