"""The periodic-task registry: each app registers its own ticks, the clock and ``kshare tick``
read them.

An app lists its periodic tasks in its ``ticks.py`` with ``tick_register``; the registry imports
every installed app's ``ticks`` module the first time it is read (Django's
``autodiscover_modules``, as the admin finds ``admin.py``). A tick is a ``django.tasks`` task
that takes no argument, is idempotent (the clock may enqueue it late, ``kshare tick`` may run it
by hand at any time) and returns what it did (a number, or a dict of counts).

The registry holds dotted paths, not task objects: registering imports nothing, so a
``ticks.py`` can be read before the app's tasks module is, and the clock's claim rows
(``ClockClaim.task``) and the queued task rows keep naming the task by its path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.tasks import Task
from django.utils.module_loading import autodiscover_modules, import_string


@dataclass(frozen=True)
class Tick:
    """One periodic task: ``name`` for ``kshare tick NAME``, ``path`` its dotted path."""

    name: str
    path: str
    help: str = ""
    # What ``kshare tick`` prints after running it: a format string given the task's answer as
    # ``result`` and, when that is a dict, its keys too.
    report: str = ""
    # What it prints after queueing it (``--enqueue``): "Queued <queued> (task <id>)."
    queued: str = ""

    def task(self) -> Task[..., Any]:
        task = import_string(self.path)
        if not isinstance(task, Task):
            raise TypeError(f"The tick {self.name} ({self.path}) is not a task.")
        return task

    def describe(self, result: object) -> str:
        if self.report:
            fields = result if isinstance(result, dict) else {}
            return self.report.format(result=result, **fields)
        return f"{self.name}: {result}"


_ticks: dict[str, Tick] = {}
_discovered = False
_lock = threading.Lock()


def tick_register(
    name: str, path: str, *, help: str = "", report: str = "", queued: str = ""
) -> Tick:
    """Register the task at ``path`` as the periodic task ``name`` (from an app's ticks.py).

    Registering the same task again under its name changes nothing (a module imported twice).
    """
    known = _ticks.get(name)
    if known is not None:
        if known.path != path:
            raise ValueError(f"Two ticks are named {name!r}: {known.path} and {path}.")
        return known
    tick = Tick(name=name, path=path, help=help, report=report, queued=queued or f"the {name} tick")
    _ticks[name] = tick
    return tick


def ticks_all() -> list[Tick]:
    """Every registered tick, in the order of INSTALLED_APPS (each app's in its own order)."""
    global _discovered
    if not _discovered:
        with _lock:
            if not _discovered:
                autodiscover_modules("ticks")
                _discovered = True
    return list(_ticks.values())


def periodic_tasks() -> list[str]:
    """The dotted paths of every tick: what the clock enqueues each period."""
    return [tick.path for tick in ticks_all()]


def tick_get(name: str) -> Tick:
    """The tick called ``name`` (``KeyError`` naming the known ones when there is none)."""
    ticks = {tick.name: tick for tick in ticks_all()}
    if name not in ticks:
        raise KeyError(f"No tick is called {name!r}; known: {', '.join(sorted(ticks))}.")
    return ticks[name]
