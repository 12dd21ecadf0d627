"""The personal data registry: every app's part in exporting and erasing what kshare holds about
a person.

Each app that stores something about a person has a ``personal_data`` module beside its models,
with:

- ``HANDLES``: ``{"app_label.Model.field": "what erasure does with it"}`` for every foreign key
  or many-to-many field of the app that points at a person (and for rows that name a person
  without a key, a short note under a made-up key is welcome). A test compares these keys with
  every relation to ``Person`` that Django knows, so a new model cannot be forgotten.
- ``export(person) -> dict``: the app's part of "Your data", JSON-able with Django's encoder
  (dates and times become ISO 8601 text). Only the person's own data, never someone else's.
- ``files(person) -> list[ExportFile]`` (optional): files the person uploaded.
- ``erase(person, placeholder) -> None``: the app's part of deleting the account. Content that
  belongs to others too (sessions, ideas, named feedback) is kept and moved to ``placeholder``,
  the shared "Former member"; what only concerns the person (tokens, stars, votes) is deleted.
- ``ERASE_ORDER`` (optional, default 50): lower runs first; the audit log runs last, so that
  entries written while erasing are pseudonymised too.

The modules are found by app label when they are first asked for (``import_module`` of
``<app>.personal_data`` for every installed app), so ``people`` — a low layer — imports no app
above it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any

from django.apps import apps

if TYPE_CHECKING:
    from kshare.people.models import Person

MODULE = "personal_data"


@dataclass(frozen=True)
class ExportFile:
    """A file in the export archive: its name there and how to read it (a binary stream)."""

    name: str
    open: Callable[[], IO[bytes]]
    size: int | None = None


@dataclass(frozen=True)
class Contribution:
    """One app's ``personal_data`` module, as the registry uses it."""

    label: str
    handles: dict[str, str]
    export: Callable[[Person], dict[str, Any]]
    files: Callable[[Person], list[ExportFile]]
    erase: Callable[[Person, Person], None]
    order: int


def _no_files(person: Person) -> list[ExportFile]:
    return []


def _load(app_name: str) -> ModuleType | None:
    name = f"{app_name}.{MODULE}"
    try:
        return import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:  # the module exists but something it imports does not
            raise
        return None


@functools.cache
def contributions() -> tuple[Contribution, ...]:
    """Every installed app's contribution, in erase order (then by app label)."""
    found = []
    for config in apps.get_app_configs():
        module = _load(config.name)
        if module is None:
            continue
        found.append(
            Contribution(
                label=config.label,
                handles=dict(module.HANDLES),
                export=module.export,
                files=getattr(module, "files", _no_files),
                erase=module.erase,
                order=getattr(module, "ERASE_ORDER", 50),
            )
        )
    return tuple(sorted(found, key=lambda c: (c.order, c.label)))


def handled_fields() -> dict[str, str]:
    """``"app_label.Model.field"`` → what erasure does, over every contribution."""
    handled: dict[str, str] = {}
    for contribution in contributions():
        handled.update(contribution.handles)
    return handled
