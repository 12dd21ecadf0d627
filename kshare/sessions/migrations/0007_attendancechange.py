"""``AttendanceChange`` moves from the attendance app to sessions (app label ``talks``).

State only: the table keeps its name (``attendance_attendancechange``, now ``Meta.db_table``),
its rows, index and foreign keys. ``attendance.0002`` drops the model from the attendance app's
state after this one. The content type row is renamed, not replaced, so its id — and with it the
permissions and the admin log entries that point at it — stays the same.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _rename_content_type(apps, schema_editor, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    rows = content_type.objects.using(db)
    if rows.filter(app_label=old, model="attendancechange").exists():
        # A row under the new label can only have been made by hand or by a crashed run: the
        # old row, with the permissions and log entries pointing at it, wins.
        rows.filter(app_label=new, model="attendancechange").delete()
        rows.filter(app_label=old, model="attendancechange").update(app_label=new)


def forwards(apps, schema_editor) -> None:
    _rename_content_type(apps, schema_editor, "attendance", "talks")


def backwards(apps, schema_editor) -> None:
    _rename_content_type(apps, schema_editor, "talks", "attendance")


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("talks", "0006_host_loop"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AttendanceChange",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "action",
                            models.CharField(
                                choices=[("added", "Added"), ("removed", "Removed")],
                                max_length=10,
                            ),
                        ),
                        ("method", models.CharField(blank=True, max_length=20)),
                        ("at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("after_held", models.BooleanField(default=False)),
                        (
                            "by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="attendance_changes",
                                to="talks.session",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "attendance_attendancechange",
                        "ordering": ["at", "id"],
                        "indexes": [
                            models.Index(fields=["session", "at"], name="attchange_session_at")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
