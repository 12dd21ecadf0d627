"""What reminders do when sessions announce a change (``kshare.sessions.signals``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kshare.scheduling.reminders.services import reminders_plan
from kshare.sessions import signals
from kshare.sessions.models import Session, State


@receiver(signals.session_changing, dispatch_uid="reminders_plan_on_session_change")
def plan_with_the_session(*, session: Session, change: str, **kwargs: Any) -> None:
    """Plan, move or drop the session's reminders in the transaction that changes it.

    Inside the transaction (not on commit): the reminders and the start they were planned for
    are committed together, or neither. Scheduling, moving and cancelling always re-plan; an edit
    re-plans a scheduled session (its programme may have changed); marking held changes nothing
    (a held session's pending reminders are never sent).
    """
    if change == signals.HELD:
        return
    if change == signals.EDITED and session.state != State.SCHEDULED:
        return
    reminders_plan(session=session)
