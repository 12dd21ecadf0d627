"""The table of the "dashboard" cache (a DatabaseCache in settings.CACHES)."""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor):
    call_command(
        "createcachetable",
        "dashboard_figure_cache",
        database=schema_editor.connection.alias,
        verbosity=0,
    )


def drop(apps, schema_editor):
    schema_editor.execute(
        f"DROP TABLE IF EXISTS {schema_editor.quote_name('dashboard_figure_cache')}"
    )


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
