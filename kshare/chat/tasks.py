"""Background work for chat channels: thin tasks bound to the posts' claim/retry queue."""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from kshare.chat.services import POSTS, chat_announce_due, chat_post_deliver, chat_posts_tick


@POSTS.sends
@task
def chat_post_deliver_task(post_id: int) -> bool:
    """Send one stored post if it is still queued and due; True when the platform took it."""
    return chat_post_deliver(post_id=post_id)


@POSTS.ticks
@task
def chat_tick_task() -> dict[str, int]:
    """The periodic chat work, enqueued by the clock: the reminders, "starting in 15 minutes"
    notices, materials and weekly digests due now made into posts, then stale claims taken back
    and due posts (retries, Retry-After) sent."""
    return chat_announce_due() | asdict(chat_posts_tick())
