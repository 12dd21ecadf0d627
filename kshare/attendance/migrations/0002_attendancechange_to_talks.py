"""``AttendanceChange`` now belongs to sessions (``talks.0007``): dropped from this app's state
only; the table, its rows and its content type (renamed there) stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0001_initial"),
        ("talks", "0007_attendancechange"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AttendanceChange")],
            database_operations=[],
        ),
    ]
