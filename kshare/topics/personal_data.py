"""Topic requests' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from kshare.people.models import Person
from kshare.topics.models import TopicNotification, TopicRequest, TopicVolunteer, TopicVote

HANDLES = {
    "topics.TopicRequest.requester": "kept, requested by the former member",
    "topics.TopicVote.person": "deleted",
    "topics.TopicVolunteer.person": "deleted",
    "topics.TopicNotification.person": "deleted",
}


def export(person: Person) -> dict[str, Any]:
    return {
        "topic_requests": list(
            TopicRequest.objects.filter(requester=person)
            .order_by("created_at", "pk")
            .values("id", "title", "description", "status", "created_at")
        ),
        "topic_votes": list(
            TopicVote.objects.filter(person=person).order_by("pk").values("request__title")
        ),
        "topic_volunteering": list(
            TopicVolunteer.objects.filter(person=person).order_by("pk").values("request__title")
        ),
        "topic_notifications": list(
            TopicNotification.objects.filter(person=person)
            .order_by("pk")
            .values("request__title", "session__title", "sent_at")
        ),
    }


def erase(person: Person, placeholder: Person) -> None:
    TopicRequest.objects.filter(requester=person).update(requester=placeholder)
    TopicVote.objects.filter(person=person).delete()
    TopicVolunteer.objects.filter(person=person).delete()
    TopicNotification.objects.filter(person=person).delete()
