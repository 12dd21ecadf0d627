"""Cached skill counts follow changes of skills, people and tags (see ``skill_counts_changed``).

The services' bulk writes (``skills_set``, the CSV import) announce themselves; these receivers
catch every other save or delete: the admin, the profile form, erasure, a tag renamed or merged.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from kshare.people.models import Person, Skill
from kshare.people.services import skill_counts_changed
from kshare.tags.models import Tag


def _changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # fixtures being loaded
        return
    update_fields = kwargs.get("update_fields")
    if sender is Person and update_fields is not None and "is_active" not in update_fields:
        return  # a sign-in (last_login) or a profile edit counts no skill
    skill_counts_changed()


def connect() -> None:
    for model in (Skill, Person, Tag):
        name = model._meta.label
        post_save.connect(_changed, sender=model, dispatch_uid=f"skill-counts-{name}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"skill-counts-{name}-delete")
