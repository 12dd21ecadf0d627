"""ClockClaim and WorkerLease move from ``web`` to ``core`` (state only: the tables keep their
names, ``web_clockclaim`` and ``web_workerlease``, and their rows). Their content types are
renamed, so permissions and admin log entries stay attached, and task rows failed with the old
``kshare.web.leases.WorkerLost`` name the new one (django-tasks-db imports that path)."""

import django.utils.timezone
from django.db import migrations, models

MODELS = ("clockclaim", "workerlease")
OLD_LOST = "kshare.web.leases.WorkerLost"
NEW_LOST = "kshare.core.leases.WorkerLost"


def content_types_move(apps, schema_editor, *, source="web", target="core"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        # A row for the target may exist already (a post_migrate that ran in between): the
        # source row, which permissions and log entries point at, wins.
        if ContentType.objects.using(db).filter(app_label=source, model=model).exists():
            ContentType.objects.using(db).filter(app_label=target, model=model).delete()
            ContentType.objects.using(db).filter(app_label=source, model=model).update(
                app_label=target
            )


def content_types_back(apps, schema_editor):
    content_types_move(apps, schema_editor, source="core", target="web")


def lost_rename(apps, schema_editor, *, old=OLD_LOST, new=NEW_LOST):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.using(schema_editor.connection.alias).filter(
        exception_class_path=old
    ).update(exception_class_path=new)


def lost_rename_back(apps, schema_editor):
    lost_rename(apps, schema_editor, old=NEW_LOST, new=OLD_LOST)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("web", "0003_worker_lease"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ClockClaim",
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
                            "task",
                            models.CharField(help_text="The task's dotted path.", max_length=200),
                        ),
                        (
                            "period_start",
                            models.DateTimeField(
                                help_text="The start of the period: a multiple of "
                                "KSHARE_TICK_SECONDS since the epoch."
                            ),
                        ),
                        (
                            "claimed_by",
                            models.CharField(help_text="host:pid of the worker.", max_length=200),
                        ),
                        ("claimed_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "db_table": "web_clockclaim",
                        "indexes": [
                            models.Index(fields=["period_start"], name="clock_claim_period")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("task", "period_start"), name="clock_claim_once"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="WorkerLease",
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
                            "worker_id",
                            models.CharField(
                                help_text="host:pid:random", max_length=64, unique=True
                            ),
                        ),
                        ("host", models.CharField(max_length=255)),
                        ("pid", models.PositiveIntegerField()),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "heartbeat_at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                        ),
                        (
                            "lost_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="When another worker found the lease expired.",
                                null=True,
                            ),
                        ),
                    ],
                    options={"db_table": "web_workerlease", "ordering": ["-heartbeat_at"]},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_move, content_types_back),
        migrations.RunPython(lost_rename, lost_rename_back),
    ]
