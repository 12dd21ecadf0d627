"""Reads of chat channels, with who may manage them."""

from __future__ import annotations

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from kshare.chat.models import ChatChannel, ChatPost
from kshare.people.models import Person
from kshare.programmes.models import Programme

RECENT_POSTS = 5


def channels_manageable_by(*, person: Person) -> QuerySet[ChatChannel]:
    """Admins manage every channel; organisers those of programmes they organise."""
    channels = ChatChannel.objects.select_related("programme", "created_by")
    if not person.is_authenticated or not person.is_organiser:
        return channels.none()
    if person.is_admin:
        return channels
    return channels.filter(programme__organisers=person)


def programmes_connectable_by(*, person: Person) -> QuerySet[Programme]:
    """The programmes ``person`` may connect a channel for."""
    programmes = Programme.objects.order_by("name")
    return programmes if person.is_admin else programmes.filter(organisers=person)


def posts_recent(*, channel_ids: list[int]) -> dict[int, list[ChatPost]]:
    """The last few posts of each channel, in one query (a window numbers each channel's posts,
    newest first)."""
    numbered = ChatPost.objects.filter(channel_id__in=channel_ids).annotate(
        row=Window(
            RowNumber(),
            partition_by=[F("channel_id")],
            order_by=[F("created_at").desc(), F("id").desc()],
        )
    )
    recent: dict[int, list[ChatPost]] = {pk: [] for pk in channel_ids}
    for post in numbered.filter(row__lte=RECENT_POSTS).order_by("channel_id", "row"):
        recent[post.channel_id].append(post)
    return recent
