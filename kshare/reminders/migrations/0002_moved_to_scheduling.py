"""The models moved to ``scheduling`` with their tables (``scheduling`` 0001): drop them from this
app's state only; the tables and rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("scheduling", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Reminder"),
                migrations.DeleteModel(name="OrganiserDigest"),
                migrations.DeleteModel(name="CadenceNudge"),
            ],
        ),
    ]
