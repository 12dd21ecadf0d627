"""What topic requests do when sessions announce a change (``kshare.sessions.signals``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kshare.sessions import signals
from kshare.topics.tasks import topic_requesters_notify_task


@receiver(signals.session_scheduled, dispatch_uid="topics_notify_when_scheduled")
@receiver(signals.session_rescheduled, dispatch_uid="topics_notify_when_rescheduled")
def notify_requesters(*, session_id: int, **kwargs: Any) -> None:
    """People who asked for the topic hear about it once the schedule is committed.

    Also after a move: ``topic_requests_notify_scheduled`` mails each person at most once per
    session, so only people who asked (or +1'd) since hear of it then.
    """
    topic_requesters_notify_task.enqueue(session_id)
