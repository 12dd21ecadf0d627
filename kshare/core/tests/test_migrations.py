"""ClockClaim and WorkerLease moved from ``web`` to ``core`` as state only: a database migrated
before the move keeps its rows, its content types (renamed, so permissions and admin log entries
stay attached) and the tasks failed as ``kshare.web.leases.WorkerLost`` (renamed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("web", "0003_worker_lease"), ("core", None)]
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # The models as the applied migrations have them (before the move: web's).
    executor = MigrationExecutor(connection)
    return executor._create_project_state(with_applied_migrations=True).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_found_after_it():
    latest = _latest()
    old = _migrate(BEFORE)
    try:
        ContentType = old.get_model("contenttypes", "ContentType")
        Permission = old.get_model("auth", "Permission")
        claim_type, _ = ContentType.objects.get_or_create(app_label="web", model="clockclaim")
        lease_type, _ = ContentType.objects.get_or_create(app_label="web", model="workerlease")
        Permission.objects.get_or_create(
            content_type=lease_type, codename="view_workerlease", defaults={"name": "Can view"}
        )
        old.get_model("web", "ClockClaim").objects.create(
            task="kshare.outbox.tasks.outbox_tick_task", period_start=NOW, claimed_by="w:1"
        )
        old.get_model("web", "WorkerLease").objects.create(worker_id="h:1:abc", host="h", pid=1)
        DBTaskResult = old.get_model("django_tasks_database", "DBTaskResult")
        failed = DBTaskResult.objects.create(
            status="FAILED",
            task_path="kshare.outbox.tasks.outbox_tick_task",
            args_kwargs={"args": [], "kwargs": {}},
            backend_name="default",
            run_after=NOW,
            exception_class_path="kshare.web.leases.WorkerLost",
            traceback="lost",
        )
    finally:
        new = _migrate(latest)

    from django.contrib.contenttypes.models import ContentType as CurrentType
    from django_tasks_db.models import DBTaskResult as CurrentResult

    from kshare.core.models import ClockClaim, WorkerLease

    assert list(ClockClaim.objects.values_list("task", "claimed_by")) == [
        ("kshare.outbox.tasks.outbox_tick_task", "w:1")
    ]
    assert list(WorkerLease.objects.values_list("worker_id", flat=True)) == ["h:1:abc"]
    CurrentType.objects.clear_cache()
    moved = CurrentType.objects.get_for_model(WorkerLease)
    assert (moved.pk, moved.app_label) == (lease_type.pk, "core")
    assert CurrentType.objects.get_for_model(ClockClaim).pk == claim_type.pk
    assert not CurrentType.objects.filter(app_label="web", model__in=["clockclaim", "workerlease"])
    assert moved.permission_set.filter(codename="view_workerlease").exists()
    row = CurrentResult.objects.get(pk=failed.pk)
    assert row.exception_class_path == "kshare.core.leases.WorkerLost"
    assert new.get_model("core", "WorkerLease")._meta.db_table == "web_workerlease"
