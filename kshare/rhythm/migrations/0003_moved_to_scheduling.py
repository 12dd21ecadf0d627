"""The models moved to ``scheduling`` with their tables (``scheduling`` 0001): drop them from this
app's state only; the tables and rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rhythm", "0002_closure_days_skip_holidays"),
        ("scheduling", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="RhythmException"),
                migrations.DeleteModel(name="ClosureDay"),
                migrations.DeleteModel(name="RhythmEvent"),
            ],
        ),
    ]
