"""``AttendanceChange`` moved from the attendance app to sessions (``talks``) without touching
the table: a database migrated before the move keeps its rows, its content type (renamed, same
id) and the permissions pointing at it, and reads them through the new model.

The test takes the database back to the state before the move (the moving migrations are state
only, so nothing is dropped), writes rows as the old app did, and migrates forward again, as
Django's own tests of ``SeparateDatabaseAndState`` moves do with a ``MigrationExecutor``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import AttendanceChange
from kshare.sessions.tests.factories import ScheduledSessionFactory

BEFORE = [("talks", "0006_host_loop"), ("attendance", "0001_initial")]
AFTER = [("talks", "0007_attendancechange"), ("attendance", "0002_attendancechange_to_talks")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_through_the_sessions_model():
    session = ScheduledSessionFactory()
    person, host = PersonFactory(), PersonFactory()
    try:
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        old_change = old.get_model("attendance", "AttendanceChange")
        assert old_change._meta.db_table == AttendanceChange._meta.db_table
        with pytest.raises(LookupError):
            old.get_model("talks", "AttendanceChange")
        # The content type as the old app had it (going back renamed it), with its permissions.
        ContentType.objects.filter(app_label="talks", model="attendancechange").delete()
        content_type, _ = ContentType.objects.get_or_create(
            app_label="attendance", model="attendancechange"
        )
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type,
            codename="view_attendancechange",
            defaults={"name": "Can view attendance change"},
        )
        added = old_change.objects.create(
            session_id=session.pk, person_id=person.pk, action="added", method="check_in"
        )
        removed = old_change.objects.create(
            session_id=session.pk, person_id=person.pk, action="removed", by_id=host.pk
        )

        _migrate(AFTER)
    finally:
        leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
        _migrate(leaves)

    rows = list(AttendanceChange.objects.filter(session=session).order_by("id"))
    assert [(r.pk, r.person, r.action, r.method, r.by) for r in rows] == [
        (added.pk, person, AttendanceChange.Action.ADDED, "check_in", None),
        (removed.pk, person, AttendanceChange.Action.REMOVED, "", host),
    ]
    assert list(session.attendance_changes.order_by("id")) == rows
    moved = ContentType.objects.get_for_model(AttendanceChange)
    assert (moved.pk, moved.app_label) == (content_type.pk, "talks")
    assert not ContentType.objects.filter(app_label="attendance").exists()
    permission.refresh_from_db()
    assert permission.content_type_id == moved.pk
