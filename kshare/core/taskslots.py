"""A task that a service enqueues without importing the tasks module that defines it.

A tasks module imports its app's services (its tasks are thin wrappers around them); a service
that must enqueue one of those tasks would import the tasks module back, and the two make an
import circle (hidden, before, by an import inside the function). Instead the service declares a
``TaskSlot`` and the tasks module fills it (``@slot.binds`` above ``@task``); the app's
``AppConfig.ready`` imports its tasks module, so the slot is filled before any request or task
runs. The claim/retry queue (``core.queue``) does the same for the outbox's and webhooks' tasks.
"""

from __future__ import annotations

from typing import Any

from django.tasks import Task
from django.tasks.base import TaskResult


class TaskSlot:
    """One task, bound later by the module that defines it; ``what`` names it in errors."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._task: Task[..., Any] | None = None

    def binds(self, task: Task[..., Any]) -> Task[..., Any]:
        """Decorator for the task that fills the slot."""
        self._task = task
        return task

    @property
    def task(self) -> Task[..., Any]:
        if self._task is None:
            raise RuntimeError(f"No task is bound to {self.what} (is its tasks module loaded?).")
        return self._task

    def enqueue(self, *args: Any, **kwargs: Any) -> TaskResult[Any, Any]:
        return self.task.enqueue(*args, **kwargs)
