"""What chat channels do when other parts of kshare announce something.

Session events arrive on commit (``send_robust``): a rolled-back change posts nothing, and a
chat problem never fails the change. Posts are stored here and sent by the queue's task.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kshare.chat.models import PostKind
from kshare.chat.services import chat_announce_session, chat_recover_lost
from kshare.core.leases import workers_lost
from kshare.sessions import signals


@receiver(workers_lost, dispatch_uid="chat_workers_lost")
def take_back_lost_posts(*, worker_ids: tuple[str, ...], **kwargs: Any) -> None:
    chat_recover_lost(worker_ids=worker_ids)


@receiver(signals.session_scheduled, dispatch_uid="chat_session_scheduled")
def session_scheduled(*, session_id: int, **kwargs: Any) -> None:
    chat_announce_session(session_id=session_id, kind=PostKind.SCHEDULED)


@receiver(signals.session_rescheduled, dispatch_uid="chat_session_rescheduled")
def session_rescheduled(*, session_id: int, **kwargs: Any) -> None:
    chat_announce_session(session_id=session_id, kind=PostKind.RESCHEDULED)


@receiver(signals.session_cancelled, dispatch_uid="chat_session_cancelled")
def session_cancelled(*, session_id: int, **kwargs: Any) -> None:
    chat_announce_session(session_id=session_id, kind=PostKind.CANCELLED)
