"""The recommender reacts to what lower apps announce (they never call it)."""

from __future__ import annotations

from typing import Any

from kshare.people.signals import people_imported
from kshare.recommend.services import recommend_mark_stale


def _people_imported(sender: Any, **kwargs: Any) -> None:
    recommend_mark_stale(reason="people imported from CSV")  # the clock retrains soon


def connect() -> None:
    people_imported.connect(_people_imported, dispatch_uid="recommend-people-imported")
