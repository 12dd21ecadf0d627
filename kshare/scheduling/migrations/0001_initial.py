"""Rhythm events and reminders move here from the ``rhythm`` and ``reminders`` apps.

State only: the tables stay as they are (``Meta.db_table`` keeps their names, rows, constraints and
indexes), this app takes the models into its state and the old apps drop them from theirs
(``rhythm`` 0003, ``reminders`` 0002, which depend on this one). The content types are renamed
to this app's label, so permissions, admin log entries and anything else that points at them
follow the models. On a new database the old apps' migrations create the tables first.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = {
    "rhythm": ["rhythmevent", "rhythmexception", "closureday"],
    "reminders": ["reminder", "organiserdigest", "cadencenudge"],
}


def _content_types_move(apps, schema_editor, *, backwards: bool = False) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for old_label, models_ in MOVED.items():
        source, target = ("scheduling", old_label) if backwards else (old_label, "scheduling")
        for model in models_:
            if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
                continue  # already there (e.g. created by a post_migrate of an earlier attempt)
            ContentType.objects.using(db).filter(app_label=source, model=model).update(
                app_label=target
            )


def content_types_forward(apps, schema_editor) -> None:
    _content_types_move(apps, schema_editor)


def content_types_backward(apps, schema_editor) -> None:
    _content_types_move(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("rhythm", "0002_closure_days_skip_holidays"),
        ("reminders", "0001_initial"),
        ("people", "0003_office_region"),
        ("programmes", "0004_auto_held_after_hours"),
        ("talks", "0006_host_loop"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ClosureDay",
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
                            "month",
                            models.PositiveSmallIntegerField(
                                choices=[
                                    (1, "January"),
                                    (2, "February"),
                                    (3, "March"),
                                    (4, "April"),
                                    (5, "May"),
                                    (6, "June"),
                                    (7, "July"),
                                    (8, "August"),
                                    (9, "September"),
                                    (10, "October"),
                                    (11, "November"),
                                    (12, "December"),
                                ],
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(12),
                                ],
                            ),
                        ),
                        (
                            "day",
                            models.PositiveSmallIntegerField(
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(31),
                                ]
                            ),
                        ),
                        (
                            "year",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="Empty: every year.",
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(2000),
                                    django.core.validators.MaxValueValidator(2999),
                                ],
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                    ],
                    options={
                        "db_table": "rhythm_closureday",
                        "ordering": ["year", "month", "day", "id"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("year__isnull", True)),
                                fields=("month", "day"),
                                name="closure_day_yearly_unique",
                                violation_error_message="That day is a closure day every year already.",
                            ),
                            models.UniqueConstraint(
                                fields=("year", "month", "day"),
                                name="closure_day_unique",
                                violation_error_message="That day is a closure day already.",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="RhythmEvent",
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
                        ("name", models.CharField(max_length=120)),
                        ("description", models.TextField(blank=True, max_length=2000)),
                        ("rrule", models.CharField(max_length=500, verbose_name="recurrence rule")),
                        ("starts", models.DateTimeField(help_text="The first occurrence.")),
                        ("duration_minutes", models.PositiveIntegerField(default=30)),
                        ("timezone", models.CharField(default="UTC", max_length=64)),
                        ("location", models.CharField(blank=True, max_length=200)),
                        (
                            "skip_holidays",
                            models.BooleanField(
                                default=False,
                                help_text="No occurrence on company closure days or the public holidays below.",
                                verbose_name="skip holidays",
                            ),
                        ),
                        (
                            "holiday_country",
                            models.CharField(
                                blank=True,
                                help_text="e.g. DE; empty: closure days only.",
                                max_length=2,
                                verbose_name="holidays of country",
                            ),
                        ),
                        (
                            "holiday_subdivision",
                            models.CharField(
                                blank=True,
                                help_text="e.g. BY (Bavaria).",
                                max_length=10,
                                verbose_name="holidays of region",
                            ),
                        ),
                        (
                            "sequence",
                            models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE."),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                blank=True,
                                help_text="Empty: the whole company.",
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="rhythm_events",
                                to="people.team",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "rhythm_rhythmevent",
                        "ordering": ["name", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="RhythmException",
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
                            "original_start",
                            models.DateTimeField(
                                help_text="The occurrence's start in the series (UTC)."
                            ),
                        ),
                        ("cancelled", models.BooleanField(default=False)),
                        ("new_start", models.DateTimeField(blank=True, null=True)),
                        ("new_end", models.DateTimeField(blank=True, null=True)),
                        ("note", models.CharField(blank=True, max_length=200)),
                        (
                            "event",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="exceptions",
                                to="scheduling.rhythmevent",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "rhythm_rhythmexception",
                        "ordering": ["original_start", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="CadenceNudge",
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
                        ("slot_start", models.DateTimeField()),
                        ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "programme",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="cadence_nudges",
                                to="programmes.programme",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reminders_cadencenudge",
                        "ordering": ["slot_start", "id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("programme", "slot_start"), name="cadence_nudge_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="OrganiserDigest",
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
                        ("day", models.DateField()),
                        ("sessions", models.PositiveIntegerField(default=0)),
                        ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="digests",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reminders_organiserdigest",
                        "ordering": ["-day", "id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("person", "day"), name="digest_person_day_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Reminder",
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
                            "kind",
                            models.CharField(
                                choices=[
                                    ("host_prep", "Host preparation reminder"),
                                    ("invitee", "Invitee reminder"),
                                    ("nudge", "Nudge to answer"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "offset_minutes",
                            models.PositiveIntegerField(
                                help_text="Minutes before the session's start."
                            ),
                        ),
                        ("due_at", models.DateTimeField(db_index=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("recipients", models.PositiveIntegerField(default=0)),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reminders",
                                to="talks.session",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reminders_reminder",
                        "ordering": ["due_at", "id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("session", "kind", "offset_minutes"), name="reminder_unique"
                            )
                        ],
                    },
                ),
                migrations.AddConstraint(
                    model_name="rhythmevent",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("duration_minutes__gte", 1)),
                        name="rhythm_duration_positive",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="rhythmexception",
                    constraint=models.UniqueConstraint(
                        fields=("event", "original_start"), name="rhythm_exception_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="rhythmexception",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("cancelled", True),
                            models.Q(
                                ("new_start__isnull", False),
                                ("new_end__isnull", False),
                                ("new_end__gt", models.F("new_start")),
                            ),
                            _connector="OR",
                        ),
                        name="rhythm_exception_moved_has_times",
                    ),
                ),
            ],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
