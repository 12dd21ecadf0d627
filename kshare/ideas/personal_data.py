"""The ideas board's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from kshare.ideas.models import Idea, IdeaComment, IdeaStatusChange, IdeaVote, ProductArea
from kshare.people.models import Person

HANDLES = {
    "ideas.Idea.author": "kept, by the former member",
    "ideas.IdeaComment.author": "kept, by the former member",
    "ideas.IdeaVote.person": "deleted",
    "ideas.IdeaStatusChange.by": "moved to the former member",
    "ideas.ProductArea.created_by": "moved to the former member",
}


def export(person: Person) -> dict[str, Any]:
    return {
        "ideas": list(
            Idea.objects.filter(author=person)
            .order_by("created_at", "pk")
            .values("id", "title", "description", "status", "created_at")
        ),
        "idea_comments": list(
            IdeaComment.objects.filter(author=person)
            .order_by("created_at", "pk")
            .values("idea_id", "idea__title", "body", "created_at")
        ),
        "idea_votes": list(
            IdeaVote.objects.filter(person=person)
            .order_by("created_at", "pk")
            .values("idea_id", "idea__title", "created_at")
        ),
    }


def erase(person: Person, placeholder: Person) -> None:
    Idea.objects.filter(author=person).update(author=placeholder)
    IdeaComment.objects.filter(author=person).update(author=placeholder)
    IdeaVote.objects.filter(person=person).delete()
    IdeaStatusChange.objects.filter(by=person).update(by=placeholder)
    ProductArea.objects.filter(created_by=person).update(created_by=placeholder)
