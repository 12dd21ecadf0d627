"""The sessions tasks were renamed to end in ``_task``. A task row stores its task's dotted path
(django-tasks-db imports it when the row runs), so the rows still waiting to run name the new
paths; finished rows keep the path they ran under. Reversible."""

from django.db import migrations

RENAMED = {
    "kshare.sessions.tasks.invitations_mail": "kshare.sessions.tasks.invitations_mail_task",
    "kshare.sessions.tasks.invitations_mail_changed": (
        "kshare.sessions.tasks.invitations_mail_changed_task"
    ),
    "kshare.sessions.tasks.invitation_mail_promoted": (
        "kshare.sessions.tasks.invitation_mail_promoted_task"
    ),
    "kshare.sessions.tasks.host_mail_due": "kshare.sessions.tasks.host_mail_due_task",
}
# READY waits for a worker; RUNNING may be one a dead worker left, which its lease puts back.
WAITING = ("READY", "RUNNING")


def task_paths_rename(apps, schema_editor, *, renamed=RENAMED):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    rows = DBTaskResult.objects.using(schema_editor.connection.alias).filter(status__in=WAITING)
    for old, new in renamed.items():
        rows.filter(task_path=old).update(task_path=new)


def task_paths_rename_back(apps, schema_editor):
    task_paths_rename(apps, schema_editor, renamed={new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("talks", "0007_attendancechange"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(task_paths_rename, task_paths_rename_back)]
