"""The recommender's parts of other apps' pages (kshare/core/pages.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kshare.core.pages import part_register
from kshare.recommend.selectors import topics_for_host


def familiar_topics(request: HttpRequest, person: Any) -> dict[str, Any]:
    """The propose page's "Choose a familiar topic": topics the proposer could host."""
    return {"suggestions": topics_for_host(person=person)}


def register() -> None:
    # The propose page (sessions; region declared in sessions/parts.py), its side column.
    part_register(
        region="session.propose.aside",
        name="recommend.familiar_topics",
        template="recommend/_propose_topics.html",
        context=familiar_topics,
    )
