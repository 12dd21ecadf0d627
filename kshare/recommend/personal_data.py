"""The recommender's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``). Its models are trained from the other apps' rows,
so once those are gone the next training run forgets the person."""

from __future__ import annotations

from typing import Any

from kshare.people.models import Person
from kshare.recommend.models import Recommendation

HANDLES = {"recommend.Recommendation.person": "deleted"}


def export(person: Person) -> dict[str, Any]:
    return {
        "recommendations": list(
            Recommendation.objects.filter(person=person)
            .order_by("kind", "rank")
            .values("kind", "rank", "session_id", "reason")
        )
    }


def erase(person: Person, placeholder: Person) -> None:
    Recommendation.objects.filter(person=person).delete()
