"""Every task is named ``<noun>_<verb>_task``, and a task row queued under a name from before a
rename still runs after the upgrade.

django-tasks-db stores a row's task as a dotted path and imports it when the row runs, so a
renamed task would leave the rows queued under its old path failing with an ImportError. The
owning app's data migration rewrites the waiting rows, and the old name stays an alias of the new
task for the rows that old web processes queue during a rolling upgrade. The tests queue rows as the
code before the rename did and let the worker's own ``run_task`` run them.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.tasks import Task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max

import kshare

NAME = re.compile(r"[a-z]+(_[a-z]+)+_task")


def _tasks_in_kshare() -> dict[str, Task]:
    """Each task defined in kshare's runtime modules (tests and migrations left out), by path."""
    found: dict[str, Task] = {}
    for module in pkgutil.walk_packages(kshare.__path__, "kshare."):
        parts = module.name.split(".")
        if "tests" in parts or "migrations" in parts:
            continue
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, Task):
                found[value.module_path] = value
    return found


def test_every_task_in_kshare_is_named_noun_verb_task():
    found = _tasks_in_kshare()

    assert [path for path, task in found.items() if not NAME.fullmatch(task.name)] == []
    # The walk finds tasks in tasks modules and outside them (experts_adapter, cadence).
    some = {
        "kshare.sessions.tasks.invitations_mail_task",
        "kshare.recommend.experts_adapter.experts_fit_task",
        "kshare.scheduling.reminders.cadence.cadence_nudge_task",
    }
    assert sorted(some & found.keys()) == sorted(some)


# Per app: the migration before the rename, the rename's, and (old path, args, new path).
RENAMES = [
    ("talks", "0007_attendancechange", "0008_task_paths_renamed", [
        ("sessions.tasks.invitations_mail", [[]], "sessions.tasks.invitations_mail_task"),
        ("sessions.tasks.invitations_mail_changed", [0, 1],
         "sessions.tasks.invitations_mail_changed_task"),
        ("sessions.tasks.invitation_mail_promoted", [0],
         "sessions.tasks.invitation_mail_promoted_task"),
        ("sessions.tasks.host_mail_due", [0], "sessions.tasks.host_mail_due_task"),
    ]),
    ("feedback", "0004_prospect_topic_answered_on", "0005_task_path_renamed", [
        ("feedback.tasks.feedback_dispatch_session", [0], "feedback.tasks.feedback_dispatch_task"),
    ]),
    ("topics", "0001_initial", "0002_task_path_renamed", [
        ("topics.tasks.notify_topic_requesters", [0], "topics.tasks.topic_requesters_notify_task"),
    ]),
]  # fmt: skip


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _row(path: str, args: list, status: str = "READY") -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=f"kshare.{path}",
        args_kwargs={"args": args, "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
        status=status,
    )


def _worker_run(row: DBTaskResult) -> str:
    """What the worker makes of the row: its own ``run_task``, as ``db_worker`` calls it."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    row.refresh_from_db()
    worker.run_task(row)
    row.refresh_from_db()
    return row.status


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("app", "before", "rename", "renamed"), RENAMES)
def test_rows_queued_under_the_old_task_paths_run_after_the_upgrade(app, before, rename, renamed):
    try:
        _migrate([(app, before)])
        queued = [_row(old, args) for old, args, _ in renamed]
        finished = [_row(old, args, status="SUCCESSFUL") for old, args, _ in renamed]
        _migrate([(app, rename)])
        for row in queued + finished:
            row.refresh_from_db()
        # The waiting rows name the new tasks; the finished ones keep the paths they ran under.
        assert [row.task_path for row in queued] == [f"kshare.{new}" for _, _, new in renamed]
        assert [row.task_path for row in finished] == [f"kshare.{old}" for old, _, _ in renamed]
        assert [row.task.name for row in queued] == [new.split(".")[-1] for _, _, new in renamed]
        assert [_worker_run(row) for row in queued] == ["SUCCESSFUL"] * len(renamed)

        # Backwards: waiting rows go back to the old paths (which the old code has).
        again = [_row(new, args) for _, args, new in renamed]
        _migrate([(app, before)])
        for row in again:
            row.refresh_from_db()
        assert [row.task_path for row in again] == [f"kshare.{old}" for old, _, _ in renamed]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "args", "new"), [r for _, _, _, rs in RENAMES for r in rs])
def test_a_row_an_old_web_process_queues_after_the_migration_still_runs(old, args, new):
    """During a rolling upgrade (docs/deploy.md) web processes of the old release keep queueing
    under the old paths after the migration ran: the old name resolves to the renamed task."""
    row = _row(old, args)

    assert row.task.name == new.split(".")[-1]
    assert _worker_run(row) == "SUCCESSFUL"
